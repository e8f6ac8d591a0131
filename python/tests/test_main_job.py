"""The README's main job (examples/fashion_mnist_quickstart.py) at its tiny budget on the real Fashion-MNIST: it
searches, derives, retrains, beats chance clearly, and writes every file it announces."""

import json
import os
import subprocess
import sys

from conftest import REPO_DIR, child_env


def test_main_job_tiny_budget(tmp_path):
    out = tmp_path / "quickstart"
    done = subprocess.run([sys.executable, os.path.join(REPO_DIR, "examples", "fashion_mnist_quickstart.py"), "--tiny",
                           "--no-progress", "--out", str(out)], env=child_env(MPLBACKEND="Agg"), capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "derived cells: normal:" in done.stdout and "test accuracy:" in done.stdout
    for name in ("search.jsonl", "search.ckpt", "search.png", "retrain.jsonl", "model.ckpt", "retrain.png",
                 "cells.dot", "result.json"):
        assert (out / name).stat().st_size > 0, name
        assert str(out / name) in done.stdout, name
    result = json.loads((out / "result.json").read_text())
    # 10 classes: chance is 10%; two tiny epochs on 2,048 images reach ~50–60%.
    assert result["test_acc"] > 0.3 and result["test_images"] == 1000
    phases = {json.loads(line)["phase"] for line in (out / "search.jsonl").read_text().splitlines()}
    assert {"shared_weights", "controller", "derive"} <= phases
