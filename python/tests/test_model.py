"""enas.Model: a fixed cell retrained from scratch on a tiny synthetic corpus — parameter count, training lowers the
perplexity, evaluate on each split, parameters()/load_parameters() round trip and shape checks, cancellation, bad
inputs."""

import numpy as np
import pytest

import enas
from enas import EnasError, Status
from conftest import ENAS_LM_CELL, PAPER_CELL, TINY_RETRAIN, synthetic_corpus

V, H = 10, 8


@pytest.fixture
def cell():
    with enas.Architecture.parse(ENAS_LM_CELL) as c:
        yield c


@pytest.fixture
def model(cell, corpus):
    with enas.Model(cell, data=corpus, config=TINY_RETRAIN) as m:
        yield m


def test_parameter_count_and_names(model):
    # embedding (V, H) + node 0 (2H, 2H) + 8 nodes (H, 2H): exactly the weights the cell reads.
    assert model.num_params == V * H + (2 * H) ** 2 + 8 * H * 2 * H
    names = model.parameter_names()
    assert "embedding.table" in names and "cell.w0" in names and "cell.node1.from0.sigmoid" in names
    assert not any(n.startswith("controller.") for n in names)
    assert len(names) == 2 + 8
    assert "num_params=1360" in repr(model)


def test_training_lowers_perplexity(model):
    before = model.evaluate("valid")
    assert 9 < before < 11  # about uniform over 10 words
    events = []
    assert model.train(progress=False, callback=events.append) is True  # the config's 10 epochs
    assert len(events) >= 100 and all("loss" in e and "ppl" in e for e in events)
    after = model.evaluate("valid")
    assert after < 0.8 * before
    assert 1 < model.evaluate("test") < before and 1 < model.evaluate("train") < before
    assert model.train(progress=False) is True  # nothing left: returns at once


def test_averaged_weights_are_evaluated_and_the_trained_ones_kept(cell, corpus):
    config = dict(TINY_RETRAIN, epochs=3)
    with enas.Model(cell, data=corpus, config=config) as plain, \
            enas.Model(cell, data=corpus, config=dict(config, averaging_start_epoch=1)) as averaged:
        plain.train(progress=False)
        averaged.train(progress=False)
        # The same training (averaging only changes what is evaluated), a different evaluation.
        trained = averaged.parameters()
        assert all(np.array_equal(trained[k], v) for k, v in plain.parameters().items())
        assert averaged.evaluate("valid") != plain.evaluate("valid")
        assert all(np.array_equal(averaged.parameters()[k], v) for k, v in trained.items())
    with pytest.raises(EnasError, match="averaging_start_epoch"):
        enas.Model(cell, data=corpus, config=dict(config, averaging_start_epoch=-3))


def test_paper_cell_trains(corpus):
    with enas.Architecture.parse(PAPER_CELL, space="rnn-v1") as paper, \
            enas.Model(paper, data=corpus, config=dict(TINY_RETRAIN, epochs=1)) as model:
        assert model.num_params == V * H + (2 * H) ** 2 + 11 * H * 2 * H
        assert model.train(progress=False) is True
        assert np.isfinite(model.evaluate("valid"))


def test_parameters_round_trip(model):
    original = model.parameters()
    assert original["embedding.table"].shape == (V, H) and original["cell.w0"].shape == (2 * H, 2 * H)
    ppl = model.evaluate("valid")
    model.load_parameters({name: np.zeros_like(value) for name, value in original.items()})
    assert model.evaluate("valid") == pytest.approx(V)  # all-zero weights: uniform predictions
    model.load_parameters(original)
    assert model.evaluate("valid") == ppl
    again = model.parameters()
    assert all(np.array_equal(again[k], original[k]) for k in original)


def test_shape_mismatch_changes_nothing(model):
    original = model.parameters()
    bad = {"embedding.table": np.ones((V, H), np.float32), "cell.w0": np.ones((2 * H, H), np.float32)}
    with pytest.raises(EnasError) as caught:
        model.load_parameters(bad)
    assert caught.value.code == Status.SHAPE
    assert "'cell.w0' has shape (16, 16), got shape (16, 8)" in str(caught.value)
    after = model.parameters()
    assert all(np.array_equal(after[k], original[k]) for k in original)


def test_cancel_and_request_cancel(model):
    seen = []
    assert model.train(epochs=1, progress=False, callback=lambda e: seen.append(e) or len(seen) < 3) is False
    assert len(seen) == 3
    model.request_cancel()
    assert model.train(epochs=1, progress=False) is False
    assert model.train(epochs=1, progress=False) is True


def test_train_progress_total_from_first_event(model, capsys, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    model.train(epochs=1, progress=True)
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines and lines[-1].startswith("train: ")
    done, total = lines[-1].split()[1].split("/")
    assert done == total and int(total) >= 10


def test_model_from_a_search_derive(corpus):
    from conftest import TINY_SEARCH

    with enas.Search(data=corpus, config=TINY_SEARCH) as search:
        search.run(progress=False)
        cell, _ = search.derive(samples=2)
    with enas.Model(cell, data=corpus, config=dict(TINY_RETRAIN, epochs=1)) as model:
        assert model.num_params == V * H + (2 * H) ** 2 + 2 * H * 2 * H
        assert model.train(progress=False) is True


def _model_with(**kwargs):
    arguments = dict(architecture=enas.Architecture.parse(ENAS_LM_CELL), data=synthetic_corpus(),
                     config=TINY_RETRAIN)
    arguments.update(kwargs)
    enas.Model(**arguments).close()


def _closed_architecture():
    cell = enas.Architecture.parse(ENAS_LM_CELL)
    cell.close()
    _model_with(architecture=cell)


def _on_model(action):
    with enas.Model(enas.Architecture.parse(ENAS_LM_CELL), data=synthetic_corpus(),
                    config=dict(TINY_RETRAIN, epochs=1)) as m:
        action(m)


MODEL_CASES = [
    ("architecture as a string", lambda: _model_with(architecture=ENAS_LM_CELL), TypeError, None,
     "must be an enas.Architecture"),
    ("closed architecture", _closed_architecture, EnasError, Status.INVALID_HANDLE, "the architecture is closed"),
    ("data not a corpus", lambda: _model_with(data=[1, 2, 3]), TypeError, None, "trains on an enas.data corpus"),
    ("unknown retrain key", lambda: _model_with(config={"epoch": 3}), EnasError, Status.INVALID_ARGUMENT,
     "unknown config key 'epoch'"),
    ("retrain config not JSON", lambda: _model_with(config="{"), EnasError, Status.FORMAT, "not valid JSON"),
    ("evaluate bad split", lambda: _on_model(lambda m: m.evaluate("validation")), EnasError, Status.INVALID_ARGUMENT,
     "split = 'validation'"),
    ("evaluate non-str split", lambda: _on_model(lambda m: m.evaluate(1)), TypeError, None, "split must be a str"),
    ("train negative epochs", lambda: _on_model(lambda m: m.train(epochs=-3)), EnasError, Status.INVALID_ARGUMENT,
     "epochs = -3"),
    ("load unknown name", lambda: _on_model(lambda m: m.load_parameters({"cell.w9": np.zeros(2)})), EnasError,
     Status.INVALID_ARGUMENT, "name = 'cell.w9' is not a parameter"),
    ("load wrong shape", lambda: _on_model(lambda m: m.load_parameters({"cell.w0": np.zeros(3)})), EnasError,
     Status.SHAPE, "got shape (3,)"),
    ("load not a dict", lambda: _on_model(lambda m: m.load_parameters([1, 2])), TypeError, None, "dict"),
    ("load strings", lambda: _on_model(lambda m: m.load_parameters({"cell.w0": "zeros"})), TypeError, None,
     "real numbers"),
]


@pytest.mark.parametrize("name,call,exception,status,fragment", MODEL_CASES, ids=[c[0] for c in MODEL_CASES])
def test_bad_input_raises(name, call, exception, status, fragment):
    with pytest.raises(exception) as caught:
        call()
    if status is not None:
        assert caught.value.code == status
    assert fragment in str(caught.value)


def test_model_save_load_resumes_identically(tmp_path):
    import numpy as np
    import enas
    rng = np.random.default_rng(0)
    data = enas.data.Tokens(rng.integers(0, 30, 3000), rng.integers(0, 30, 600), rng.integers(0, 30, 600), 30)
    arch = enas.Architecture.parse("0 2 1 0 2 1", space="rnn")
    config = {"epochs": 2, "child": {"hidden_size": 8}, "training": {"batch_size": 4, "bptt": 8}}
    whole = enas.Model(arch, data=data, config=config)
    whole.train(progress=False)
    part = enas.Model(arch, data=data, config=config)
    steps = []
    assert part.train(progress=False, callback=lambda event: steps.append(event) or len(steps) < 20) is False
    path = tmp_path / "model.ckpt"
    part.save(str(path))
    resumed = enas.Model.load(str(path), data=data)
    assert resumed.architecture.to_string() == arch.to_string()
    resumed.train(progress=False)
    for name, value in whole.parameters().items():
        np.testing.assert_array_equal(resumed.parameters()[name], value)
    assert resumed.evaluate("test") == whole.evaluate("test")
    (tmp_path / "bad.ckpt").write_bytes(b"nonsense")
    with pytest.raises(enas.EnasError):
        enas.Model.load(str(tmp_path / "bad.ckpt"), data=data)
