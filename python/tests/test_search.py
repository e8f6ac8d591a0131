"""enas.Search on a tiny synthetic corpus: runs, history, state, cancellation (callback, request_cancel, Ctrl-C,
exceptions), derive, parameters, save/load/resume, logs, progress display, and bad inputs. A PTB smoke test runs
when the data is present."""

import json
import os
import signal
import sys
import threading
import types

import numpy as np
import pytest

import enas
from enas import EnasError, Status
from conftest import TINY_SEARCH, synthetic_corpus

EVENTS_PER_EPOCH = 4  # 3 phase-1 windows + 1 controller step


@pytest.fixture
def search(corpus):
    with enas.Search(space="rnn", data=corpus, config=TINY_SEARCH) as s:
        yield s


def test_run_history_and_state(search):
    state = search.state
    assert state["epoch"] == 0 and state["phase"] == "shared_weights" and state["running"] is False
    assert state["space"] == "rnn" and state["strategy"] == "enas"
    assert state["config"]["child"]["hidden_size"] == 8 and state["config"]["epochs"] == 1
    events = []
    assert search.run(epochs=1, progress=False, callback=events.append) is True
    assert len(events) == EVENTS_PER_EPOCH
    history = search.history
    assert len(history) == EVENTS_PER_EPOCH
    assert [r["phase"] for r in history] == ["shared_weights"] * 3 + ["controller"]
    assert history == events
    assert all(isinstance(r["architecture"], str) and r["threads"] >= 1 for r in history)
    assert "loss" in history[0] and "reward" in history[-1] and "baseline" in history[-1]
    assert search.state["epoch"] == 1
    # Default epochs: the config's remaining ones (none left).
    assert search.run(progress=False) is True and len(search.history) == EVENTS_PER_EPOCH
    assert "epoch=1/1" in repr(search)


def test_cancel_by_callback_then_resume(search):
    seen = []

    def stop_at_two(event):
        seen.append(event)
        return len(seen) < 2

    assert search.run(epochs=1, progress=False, callback=stop_at_two) is False
    assert len(seen) == 2 and len(search.history) == 2
    assert search.state["steps_done_in_epoch"] == 2
    assert search.run(epochs=1, progress=False) is True  # resumes: the rest of the epoch
    assert len(search.history) == EVENTS_PER_EPOCH and search.state["epoch"] == 1


def _without_times(history):
    return [{k: v for k, v in r.items() if k not in ("seconds", "eta_seconds")} for r in history]


def _same_records(a, b):
    """Equal records, floats to 1e-12 relative: a checkpoint keeps the history as JSON text, and a double's last
    bit may not survive Foundation's JSON parser on Linux."""
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x.keys() == y.keys()
        for key in x:
            if isinstance(x[key], float):
                assert x[key] == pytest.approx(y[key], rel=1e-12, abs=1e-300), key
            else:
                assert x[key] == y[key], key


def test_resumed_run_equals_uninterrupted_run(corpus):
    with enas.Search(data=corpus, config=TINY_SEARCH) as a, enas.Search(data=corpus, config=TINY_SEARCH) as b:
        assert a.run(epochs=2, progress=False) is True
        seen = []
        assert b.run(epochs=2, progress=False, callback=lambda e: seen.append(e) or len(seen) < 2) is False
        assert b.run(epochs=2, progress=False) is True  # epoch 0 was not finished: two more end where a ended
        assert _without_times(a.history) == _without_times(b.history)
        pa, pb = a.parameters(), b.parameters()
        assert all(np.array_equal(pa[k], pb[k]) for k in pa)


def test_exception_in_callback_is_reraised_after_a_clean_stop(search):
    def boom(event):
        raise ValueError("boom from the callback")

    with pytest.raises(ValueError, match="boom from the callback"):
        search.run(epochs=1, progress=False, callback=boom)
    assert len(search.history) == 1 and search.state["running"] is False
    assert search.run(epochs=1, progress=False) is True  # still usable


def test_keyboard_interrupt_in_callback(search):
    def interrupt(event):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        search.run(epochs=1, progress=False, callback=interrupt)
    assert len(search.history) == 1


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(), reason="signals need the main thread")
def test_ctrl_c_stops_at_a_step_boundary(search):
    previous = signal.getsignal(signal.SIGINT)
    count = []

    def press_ctrl_c(event):
        count.append(event)
        if len(count) == 2:
            os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(KeyboardInterrupt):
        search.run(epochs=3, progress=False, callback=press_ctrl_c)
    assert len(search.history) in (2, 3)  # the handler runs at the next bytecode: this step or the next
    assert signal.getsignal(signal.SIGINT) is previous
    assert search.state["running"] is False
    assert search.run(epochs=1, progress=False) is True


def test_request_cancel_from_another_thread(search):
    states = []

    def cancel_from_thread(event):
        def work():
            states.append(search.state)  # thread-safe snapshot during the run
            search.request_cancel()
        worker = threading.Thread(target=work)
        worker.start()
        worker.join()

    assert search.run(epochs=1, progress=False, callback=cancel_from_thread) is False
    assert len(search.history) == 1
    assert states[0]["running"] is True and states[0]["history_length"] == 1
    # A request made between runs stops the next run before its first step, then is consumed.
    search.request_cancel()
    assert search.run(epochs=1, progress=False) is False and len(search.history) == 1
    assert search.run(epochs=1, progress=False) is True


def test_reentering_the_search_from_its_callback_is_refused(search):
    errors = []

    def reenter(event):
        try:
            search.derive(samples=1)
        except EnasError as error:
            errors.append(error)
        return False

    assert search.run(epochs=1, progress=False, callback=reenter) is False
    assert errors and errors[0].code == Status.INVALID_ARGUMENT and "busy" in errors[0].message


def test_nan_weights_end_in_a_numeric_error(search):
    table = search.parameters()["embedding.table"]
    search.load_parameters({"embedding.table": np.full_like(table, np.nan)})
    with pytest.raises(EnasError) as caught:
        search.run(progress=False)
    assert caught.value.code == Status.NUMERIC and "enas_search_run" in caught.value.message
    history = search.history
    assert len(history) == 3 and all("loss" not in r for r in history)  # the phase-1 children were skipped
    assert search.state["non_finite_in_a_row"] == 3 and search.state["running"] is False


def test_derive(search):
    search.run(epochs=1, progress=False)
    cell, ppl = search.derive(samples=3)
    assert isinstance(cell, enas.Architecture) and cell.node_count == 3
    assert isinstance(ppl, float) and 1.0 < ppl < 1e4
    assert [r["phase"] for r in search.history[-3:]] == ["derive"] * 3
    cell2, _ = search.derive()  # the config's derive_samples (2)
    assert len(search.history) == EVENTS_PER_EPOCH + 3 + 2
    # The derived cell trains as a fixed model.
    with enas.Model(cell2, data=search.data, config={"epochs": 1, "child": {"hidden_size": 8},
                                                     "training": {"batch_size": 4, "bptt": 5},
                                                     "eval_batch_size": 2}) as model:
        assert model.train(progress=False) is True


def test_random_strategy(corpus):
    with enas.Search(data=corpus, config=dict(TINY_SEARCH, strategy="random")) as s:
        s.run(progress=False)
        assert [r["phase"] for r in s.history] == ["shared_weights"] * 3  # no controller steps
        assert isinstance(s.derive(samples=2)[0], enas.Architecture)


def test_parameters_round_trip_and_errors(search):
    names = search.parameter_names()
    assert {"embedding.table", "cell.w0", "controller.lstm.weight"} <= set(names)
    params = search.parameters()
    assert set(params) == set(names)
    assert params["embedding.table"].shape == (10, 8) and params["embedding.table"].dtype == np.float32
    changed = {"embedding.table": params["embedding.table"] + 1.0, "cell.w0": np.zeros((16, 16))}  # float64 is fine
    search.load_parameters(changed)
    after = search.parameters()
    assert np.array_equal(after["embedding.table"], changed["embedding.table"])
    assert not after["cell.w0"].any()
    # A wrong shape anywhere changes nothing.
    with pytest.raises(EnasError) as caught:
        search.load_parameters({"embedding.table": params["embedding.table"], "cell.w0": np.zeros((16, 15))})
    assert caught.value.code == Status.SHAPE and "'cell.w0' has shape (16, 16), got shape (16, 15)" in str(caught.value)
    assert np.array_equal(search.parameters()["embedding.table"], changed["embedding.table"])
    with pytest.raises(EnasError) as caught:
        search.load_parameters({"no.such": np.zeros(3)})
    assert caught.value.code == Status.INVALID_ARGUMENT and "'no.such'" in str(caught.value)
    with pytest.raises(TypeError):
        search.load_parameters({"cell.w0": np.zeros((16, 16), dtype=object)})


def test_save_load_parameters_equal_and_resume_identically(search, tmp_path):
    search.run(epochs=1, progress=False, callback=lambda e: len(search.history) < 2)  # stop mid phase 1
    path = tmp_path / "search.ckpt"
    search.save(path)
    loaded = enas.Search.load(path, data=search.data)
    try:
        a, b = search.parameters(), loaded.parameters()
        assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
        _same_records(loaded.history, search.history)
        assert loaded.state == search.state
        search.run(epochs=1, progress=False)
        loaded.run(epochs=1, progress=False)
        _same_records(_without_times(loaded.history), _without_times(search.history))
        assert _without_times(loaded.history)[-2:] == _without_times(search.history)[-2:]  # after the load: exact
        a, b = search.parameters(), loaded.parameters()
        assert all(np.array_equal(a[k], b[k]) for k in a)
    finally:
        loaded.close()
    with pytest.raises(EnasError) as caught:
        enas.Search.load(path, data=synthetic_corpus(seed=50))
    assert caught.value.code == Status.INVALID_ARGUMENT and "other data" in str(caught.value)
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(EnasError) as caught:
        enas.Search.load(path, data=search.data)
    assert caught.value.code == Status.FORMAT
    with pytest.raises(EnasError) as caught:
        enas.Search.load(tmp_path / "missing.ckpt", data=search.data)
    assert caught.value.code == Status.IO


def test_save_from_the_callback(search, tmp_path):
    path = tmp_path / "mid.ckpt"
    lengths = []

    def save_at_two(event):
        if len(lengths) == 1:
            search.save(path)  # a step boundary is a consistent state
        lengths.append(len(search.history))

    assert search.run(epochs=1, progress=False, callback=save_at_two) is True
    with enas.Search.load(path, data=search.data) as resumed:
        assert len(resumed.history) == 2 and resumed.state["steps_done_in_epoch"] == 2
        assert resumed.run(epochs=1, progress=False) is True
        assert _without_times(resumed.history)[2:] == _without_times(search.history)[2:]


def test_log_file(corpus, tmp_path):
    path = tmp_path / "logs" / "search.jsonl"
    with enas.Search(data=corpus, config=TINY_SEARCH, log=path) as s:
        assert s.log_path == str(path)
        s.run(progress=False)
        records = enas.logs.read_jsonl(path)
        assert len(records) == EVENTS_PER_EPOCH
        assert [r["step"] for r in records] == [r["step"] for r in s.history]
        s.log_path = None
        assert s.log_path is None


def test_read_jsonl_errors(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"a": 1}\nnot json\n{"b": 2}\n')
    with pytest.raises(EnasError) as caught:
        enas.logs.read_jsonl(bad)
    assert caught.value.code == Status.FORMAT and "bad.jsonl:2" in str(caught.value)
    partial = tmp_path / "partial.jsonl"
    partial.write_text('{"a": 1}\n\n{"b": 2}\n{"c"')  # a run still writing its last line
    assert enas.logs.read_jsonl(partial) == [{"a": 1}, {"b": 2}]
    with pytest.raises(EnasError) as caught:
        enas.logs.read_jsonl(tmp_path / "missing.jsonl")
    assert caught.value.code == Status.IO


def test_to_dataframe_without_pandas_is_a_clear_error():
    try:
        import pandas  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="pandas"):
            enas.logs.to_dataframe([{"a": 1}])
    else:
        assert list(enas.logs.to_dataframe([{"a": 1}, {"a": 2}])["a"]) == [1, 2]


def test_plain_progress_lines(search, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # as if tqdm were not installed
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    search.run(epochs=1, progress=True)
    err = capsys.readouterr().err
    assert "search: 4/4 controller" in err and "reward=" in err


def test_tqdm_progress(search, monkeypatch):
    bars = []

    class FakeTqdm:
        def __init__(self, total=None, desc=None, unit=None, leave=None):
            self.total, self.desc, self.n, self.closed, self.postfix = total, desc, 0, False, None
            bars.append(self)

        def set_postfix_str(self, text, refresh=True):
            self.postfix = text

        def update(self, n):
            self.n += n

        def refresh(self):
            pass

        def close(self):
            self.closed = True

    auto = types.ModuleType("tqdm.auto")
    auto.tqdm = FakeTqdm
    monkeypatch.setitem(sys.modules, "tqdm", types.ModuleType("tqdm"))
    monkeypatch.setitem(sys.modules, "tqdm.auto", auto)
    search.run(epochs=2, progress=True)
    (bar,) = bars
    assert bar.total == 2 * EVENTS_PER_EPOCH and bar.n == 2 * EVENTS_PER_EPOCH and bar.closed
    assert bar.desc == "search" and "controller" in bar.postfix


def test_seed_overrides_config(corpus):
    with enas.Search(data=corpus, config=TINY_SEARCH, seed=5) as a:
        assert a.config["seed"] == 5
    with enas.Search(data=corpus, config=json.dumps(TINY_SEARCH), seed=6) as b:
        assert b.config["seed"] == 6
    with enas.Search(data=corpus, config=json.dumps(dict(TINY_SEARCH, seed=7))) as c:
        assert c.config["seed"] == 7
    with enas.Search(data=corpus, config=dict(TINY_SEARCH, preset="enas_lm")) as d:
        assert d.config["output"] == "all_nodes" and d.config["samples_first_activation"] is False


def test_corpus_can_be_closed_while_a_search_uses_it():
    data = synthetic_corpus()
    s = enas.Search(data=data, config=TINY_SEARCH)
    data.close()
    assert s.run(progress=False) is True
    s.close()


def test_tokens_corpus_inputs():
    train = np.arange(40) % 7
    with enas.data.Tokens(train.astype(np.uint16), list(range(7)), train[:9].astype(np.int32), 7) as c:
        assert c.vocab_size == 7 and c.lengths == {"train": 40, "valid": 7, "test": 9}
        assert "vocab_size=7" in repr(c)


def _search_with(**kwargs):
    arguments = dict(space="rnn", data=synthetic_corpus(), config=TINY_SEARCH)
    arguments.update(kwargs)
    enas.Search(**arguments).close()


def _run_with(**kwargs):
    with enas.Search(data=synthetic_corpus(), config=TINY_SEARCH) as s:
        s.run(progress=False, **kwargs)


def _closed_search_run():
    s = enas.Search(data=synthetic_corpus(), config=TINY_SEARCH)
    s.close()
    s.run()


def _derive_zero():
    with enas.Search(data=synthetic_corpus(), config=TINY_SEARCH) as s:
        s.derive(samples=0)


def _tokens(train=None, valid=None, test=None, vocab=10):
    ok = np.arange(20, dtype=np.int64) % 10
    enas.data.Tokens(ok if train is None else train, ok if valid is None else valid, ok if test is None else test,
                     vocab).close()


# (id, call, exception, status or None, fragment) — also run by test_errors' survival test.
SEARCH_CASES = [
    ("space mezzo", lambda: _search_with(space="mezzo"), EnasError, Status.INVALID_ARGUMENT, "space = 'mezzo'"),
    ("macro on tokens", lambda: _search_with(space="macro"), TypeError, None, "image data"),
    ("unknown config key", lambda: _search_with(config={"child_lr_maxx": 1}), EnasError, Status.INVALID_ARGUMENT,
     "unknown config key 'child_lr_maxx'"),
    ("nested unknown key", lambda: _search_with(config={"child": {"hiden_size": 8}}), EnasError,
     Status.INVALID_ARGUMENT, "child.hiden_size"),
    ("unknown preset", lambda: _search_with(config={"preset": "fast"}), EnasError, Status.INVALID_ARGUMENT,
     "unknown preset 'fast'"),
    ("bad value type", lambda: _search_with(config={"epochs": "ten"}), EnasError, Status.INVALID_ARGUMENT, "epochs"),
    ("negative epochs in config", lambda: _search_with(config={"epochs": -1}), EnasError, Status.INVALID_ARGUMENT,
     "must be ≥ 0"),
    ("config not JSON", lambda: _search_with(config="{nope"), EnasError, Status.FORMAT, "not valid JSON"),
    ("config not JSON with seed", lambda: _search_with(config="{nope", seed=1), EnasError, Status.FORMAT,
     "enas.Search: config is not valid JSON"),
    ("config JSON array", lambda: _search_with(config="[1, 2]"), EnasError, Status.FORMAT, "must be a JSON object"),
    ("config NaN", lambda: _search_with(config={"reward_constant": float("nan")}), EnasError,
     Status.INVALID_ARGUMENT, "cannot be written as JSON"),
    ("config wrong type", lambda: _search_with(config=42), TypeError, None, "config must be a dict"),
    ("negative seed", lambda: _search_with(seed=-1), EnasError, Status.INVALID_ARGUMENT, "seed = -1"),
    ("data not a corpus", lambda: _search_with(data=np.arange(10)), TypeError, None, "data must be an enas.data"),
    ("run negative epochs", lambda: _run_with(epochs=-1), EnasError, Status.INVALID_ARGUMENT, "epochs = -1"),
    ("run huge epochs", lambda: _run_with(epochs=2**40), EnasError, Status.INVALID_ARGUMENT, "epochs = 1099511627776"),
    ("run bad callback", lambda: _run_with(callback=3), TypeError, None, "callback must be callable"),
    ("closed search", _closed_search_run, EnasError, Status.INVALID_HANDLE, "the search is closed"),
    ("derive zero samples", _derive_zero, EnasError, Status.INVALID_ARGUMENT, "samples = 0"),
    ("log into a file", lambda: _search_with(log="/dev/null/x.jsonl"), EnasError, Status.IO, "/dev/null"),
    ("PTB missing", lambda: enas.data.PTB("/nonexistent/ptb"), EnasError, Status.IO, "/nonexistent/ptb/ptb.train.txt"),
    ("tokens float", lambda: _tokens(train=np.zeros(20)), TypeError, None, "integer token ids"),
    ("tokens 2-D", lambda: _tokens(valid=np.zeros((4, 5), np.int32)), EnasError, Status.SHAPE, "must be 1-D"),
    ("tokens out of range", lambda: _tokens(test=np.arange(20)), EnasError, Status.INVALID_ARGUMENT,
     "test[10] = 10 is outside 0..<10"),
    ("tokens negative id", lambda: _tokens(train=-np.ones(20, np.int32)), EnasError, Status.INVALID_ARGUMENT,
     "train[0] = -1"),
    ("tokens too short", lambda: _tokens(valid=np.zeros(1, np.int32)), EnasError, Status.INVALID_ARGUMENT,
     "valid split has 1 tokens"),
    ("tokens vocab 1", lambda: _tokens(vocab=1), EnasError, Status.INVALID_ARGUMENT, "vocab_size = 1"),
    ("tokens vocab huge", lambda: _tokens(vocab=2**70), EnasError, Status.INVALID_ARGUMENT, "does not fit int64"),
]


@pytest.mark.parametrize("name,call,exception,status,fragment", SEARCH_CASES, ids=[c[0] for c in SEARCH_CASES])
def test_bad_input_raises(name, call, exception, status, fragment):
    with pytest.raises(exception) as caught:
        call()
    if status is not None:
        assert caught.value.code == status
    assert fragment in str(caught.value)


def test_ptb_default_path_needs_enas_data(monkeypatch):
    monkeypatch.delenv("ENAS_DATA", raising=False)
    with pytest.raises(EnasError) as caught:
        enas.data.PTB()
    assert caught.value.code == Status.INVALID_ARGUMENT and "ENAS_DATA" in str(caught.value)


def test_ptb_search_smoke(ptb, monkeypatch):
    assert ptb.vocab_size == 10000
    assert ptb.lengths == {"train": 929589, "valid": 73760, "test": 82430}
    monkeypatch.setenv("ENAS_DATA", os.path.dirname(ptb.path))
    with enas.data.PTB() as again:
        assert again.lengths == ptb.lengths
    with enas.Search(data=ptb, config=TINY_SEARCH, seed=3) as s:
        assert s.run(progress=False) is True
        cell, ppl = s.derive(samples=2)
        assert cell.node_count == 3 and ppl > 100  # an untrained model on 10,000 words


def test_corpus_subset_keeps_the_vocabulary():
    corpus = synthetic_corpus()
    head = corpus.subset(train=50, test=20)
    lengths = corpus.lengths
    assert head.lengths == {"train": 50, "valid": lengths["valid"], "test": 20}
    assert head.vocab_size == corpus.vocab_size
    with pytest.raises(EnasError, match="valid = 0"):
        corpus.subset(valid=0)
