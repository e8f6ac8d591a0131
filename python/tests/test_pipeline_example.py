"""The resumable PTB pipeline example, end to end at its smoke size on a tiny PTB-format corpus: a first call that
runs out of budget mid-search, then calls that resume until the final result is written."""

import json
import os
import random
import signal
import subprocess
import sys
import time

REPOSITORY = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(REPOSITORY, "examples", "ptb_pipeline.py")


def write_tiny_ptb(folder):
    rng = random.Random(0)
    words = [f"w{i}" for i in range(40)]
    for split, lines in (("train", 300), ("valid", 60), ("test", 60)):
        with open(os.path.join(folder, f"ptb.{split}.txt"), "w") as f:
            for _ in range(lines):
                f.write(" " + " ".join(rng.choice(words) for _ in range(rng.randint(3, 12))) + " \n")


def tiny_ptb_environment(tmp_path):
    """Writes the tiny corpus under tmp_path/data/ptb; returns an environment whose ENAS_DATA points there."""
    ptb = tmp_path / "data" / "ptb"
    ptb.mkdir(parents=True)
    write_tiny_ptb(ptb)
    return dict(os.environ, ENAS_DATA=str(tmp_path / "data"))


def run(args, env):
    return subprocess.run([sys.executable, SCRIPT, "--smoke", *args], env=env, capture_output=True, text=True, timeout=300)


def test_pipeline_pauses_resumes_and_reports(tmp_path):
    env = tiny_ptb_environment(tmp_path)
    common = ["--work", str(tmp_path / "work"), "--logs", str(tmp_path / "logs"), "--search-epochs", "2", "--retrain-epochs", "1"]
    first = run(common + ["--budget-minutes", "0"], env)
    assert first.returncode == 0, first.stderr
    assert "search paused" in first.stdout
    for _ in range(6):
        result = run(common + ["--budget-minutes", "5"], env)
        assert result.returncode == 0, result.stderr
        if (tmp_path / "logs" / "result.json").exists():
            break
    final = json.loads((tmp_path / "logs" / "result.json").read_text())
    assert final["test_ppl"] > 1 and final["valid_ppl"] > 1 and final["num_params"] > 0
    assert final["architecture_string"].count(" ") == 6   # the rnn-v1 form: f0 then 3 (previous, activation) pairs
    history = [json.loads(line) for line in (tmp_path / "logs" / "search.jsonl").read_text().splitlines()]
    assert sum(1 for r in history if r["phase"] == "shared_weights") == 2 * 4
    assert (tmp_path / "logs" / "derived.dot").read_text().startswith("digraph")
    retraining = [json.loads(line) for line in (tmp_path / "logs" / "retrain.jsonl").read_text().splitlines()]
    # The validation pass after the last epoch evaluates the same weights as the final result.
    assert [(r["epoch"], r["valid_ppl"]) for r in retraining if r["phase"] == "retrain_valid"] == [(1, final["valid_ppl"])]


def test_lost_work_folder_retrains_the_logged_architecture(tmp_path):
    # A new machine keeps the committed logs but not the checkpoints: the next call retrains the architecture in
    # logs/derived.json from scratch (no second search), keeps the lost retraining's log, and, seeded, ends with
    # the same result as the first run.
    env = tiny_ptb_environment(tmp_path)
    common = ["--work", str(tmp_path / "work"), "--logs", str(tmp_path / "logs"), "--search-epochs", "1", "--retrain-epochs", "2"]
    assert run(common, env).returncode == 0
    logs = tmp_path / "logs"
    first = json.loads((logs / "result.json").read_text())
    derived = json.loads((logs / "derived.json").read_text())
    assert derived["architecture_string"] == first["architecture_string"] and derived["search_seconds"] > 0
    search_log = (logs / "search.jsonl").read_text()
    for name in os.listdir(tmp_path / "work"):
        os.remove(tmp_path / "work" / name)
    (logs / "result.json").unlink()
    again = run(common, env)
    assert again.returncode == 0, again.stderr
    assert "retraining the architecture derived in" in again.stdout
    second = json.loads((logs / "result.json").read_text())
    assert (logs / "search.jsonl").read_text() == search_log
    assert (logs / "retrain_abandoned_1.jsonl").exists()
    for key in ("architecture_string", "derive_valid_ppl", "valid_ppl", "test_ppl", "retrain_epochs"):
        assert second[key] == first[key], key


def test_total_budget_ends_retraining_early(tmp_path):
    env = tiny_ptb_environment(tmp_path)
    # A budget of 0.36 s: the search (not budgeted) overruns it, retraining runs its first epoch (nothing to
    # estimate an epoch from before it) and then stops instead of running the other two.
    result = run(["--work", str(tmp_path / "work"), "--logs", str(tmp_path / "logs"), "--search-epochs", "1",
                  "--retrain-epochs", "3", "--total-hours", "0.0001"], env)
    assert result.returncode == 0, result.stderr
    assert "retraining ends at epoch 1 of 3" in result.stdout
    final = json.loads((tmp_path / "logs" / "result.json").read_text())
    assert final["retrain_epochs"] == 1 and final["stopped_by_total_budget"] is True
    assert final["test_ppl"] > 1


def test_ctrl_c_saves_the_chunk_and_the_resumed_run_ends_as_an_uninterrupted_one(tmp_path):
    env = tiny_ptb_environment(tmp_path)
    options = ["--search-epochs", "1", "--retrain-epochs", "40", "--total-hours", "100"]
    straight = run(["--work", str(tmp_path / "straight"), "--logs", str(tmp_path / "straight_logs"), *options], env)
    assert straight.returncode == 0, straight.stderr
    expected = json.loads((tmp_path / "straight_logs" / "result.json").read_text())

    logs = tmp_path / "logs"
    common = ["--work", str(tmp_path / "work"), "--logs", str(logs), *options]
    process = subprocess.Popen([sys.executable, SCRIPT, "--smoke", *common], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    # Retraining flushes its log at every validation pass (each 3 epochs): interrupt once the first one is there.
    deadline = time.monotonic() + 120
    while not ((logs / "retrain.jsonl").exists() and (logs / "retrain.jsonl").stat().st_size > 0):
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.01)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "interrupted: everything is saved" in stdout and "Traceback" not in stderr
    state = json.loads((tmp_path / "work" / "pipeline.json").read_text())
    assert state["stage"] == "retrain" and (tmp_path / "work" / "retrain.ckpt").exists()

    resumed = run(common, env)
    assert resumed.returncode == 0, resumed.stderr
    final = json.loads((logs / "result.json").read_text())
    for key in ("architecture_string", "valid_ppl", "test_ppl", "retrain_epochs"):
        assert final[key] == expected[key], key


def test_fashion_mnist_pipeline_runs_to_a_result_in_chunks(tmp_path):
    script = os.path.join(REPOSITORY, "examples", "fashion_mnist_pipeline.py")
    common = ["--smoke", "--work", str(tmp_path / "work"), "--logs", str(tmp_path / "logs"), "--search-epochs", "2",
              "--retrain-epochs", "1"]
    first = subprocess.run([sys.executable, script, *common, "--budget-minutes", "0"], capture_output=True, text=True,
                           timeout=300)
    assert first.returncode == 0, first.stderr
    assert "search paused" in first.stdout
    for _ in range(6):
        result = subprocess.run([sys.executable, script, *common, "--budget-minutes", "5"], capture_output=True,
                                text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        if (tmp_path / "logs" / "result.json").exists():
            break
    final = json.loads((tmp_path / "logs" / "result.json").read_text())
    assert 0 <= final["test_acc"] <= 1 and 0 <= final["derive_valid_acc"] <= 1 and final["num_params"] > 0
    assert len(final["architecture_string"].split()) == 2 * 4 * 2   # micro: 2 cells × 2 blocks × 4 integers
    assert "cluster_normal" in (tmp_path / "logs" / "derived.dot").read_text()
    retraining = [json.loads(line) for line in (tmp_path / "logs" / "retrain.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in retraining if r["phase"] == "retrain_valid"] == [1]
