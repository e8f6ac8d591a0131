"""Shared set-up: import the package from this checkout (before any installed copy, which may be an editable
install of another checkout), and give subprocesses the same environment. The library comes from
$ENAS_LIBRARY_PATH or the package's own search (beside it, then the repository's .build/release)."""

import os
import subprocess
import sys

import pytest

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO_DIR = os.path.dirname(PYTHON_DIR)

sys.path.insert(0, PYTHON_DIR)
import enas  # noqa: E402

assert os.path.dirname(os.path.dirname(os.path.abspath(enas.__file__))) == PYTHON_DIR, enas.__file__


def child_env(**changes):
    """os.environ with the package importable; a value of None removes the variable."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (PYTHON_DIR, env.get("PYTHONPATH")) if p)
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run_python(code, **env_changes):
    """Runs ``code`` in a fresh interpreter; returns the CompletedProcess (text, both streams captured)."""
    return subprocess.run([sys.executable, "-c", code], env=child_env(**env_changes), capture_output=True, text=True,
                          timeout=120)


@pytest.fixture
def rng():
    import numpy as np

    return np.random.default_rng(20180209)


# ---- Search and model fixtures --------------------------------------------------------------------------------------

# A search small enough for a test: one epoch = 3 phase-1 windows + 1 controller step (4 events).
TINY_SEARCH = {
    "epochs": 1,
    "child": {"hidden_size": 8, "node_count": 3},
    "training": {"batch_size": 4, "bptt": 5},
    "windows_per_epoch": 3,
    "controller_steps_per_epoch": 1,
    "valid_batch_size": 2,
    "derive_samples": 2,
    "controller": {"hidden_size": 8},
    "reinforce": {"samples_per_step": 2},
}

# A retraining that learns the synthetic stream: no dropout, lr 10, ten passes of ~20 windows.
TINY_RETRAIN = {
    "epochs": 10,
    "child": {"hidden_size": 8, "embedding_dropout": 0, "input_dropout": 0, "cell_input_dropout": 0,
              "hidden_dropout": 0, "output_dropout": 0},
    "training": {"batch_size": 4, "bptt": 5, "learning_rate": {"initial": 10}},
    "eval_batch_size": 2,
}

ENAS_LM_CELL = "0 2 1 0 2 1 2 2 4 0 5 0 3 2 6 2"
PAPER_CELL = "0 0 0 1 1 2 1 2 0 2 0 5 1 1 0 6 1 8 1 8 1 8 1"


def synthetic_stream(n, seed, vocab=10):
    """A learnable token stream: the cycle 0, 3, 6, 9, 2, … with one token in sixteen replaced at random."""
    import numpy as np

    rng = np.random.default_rng(seed)
    tokens = (np.arange(n) * 3) % vocab
    noise = rng.random(n) < 1 / 16
    tokens[noise] = rng.integers(0, vocab, noise.sum())
    return tokens.astype(np.int32)


def synthetic_corpus(seed=1):
    return enas.data.Tokens(synthetic_stream(400, seed), synthetic_stream(120, seed + 1),
                            synthetic_stream(120, seed + 2), 10)


@pytest.fixture
def corpus():
    with synthetic_corpus() as c:
        yield c


def ptb_directory():
    """$ENAS_DATA/ptb, else <repo>/../shared/data/ptb; None when neither holds ptb.train.txt."""
    candidates = []
    if os.environ.get("ENAS_DATA"):
        candidates.append(os.path.join(os.environ["ENAS_DATA"], "ptb"))
    candidates.append(os.path.join(os.path.dirname(REPO_DIR), "shared", "data", "ptb"))
    for directory in candidates:
        if os.path.isfile(os.path.join(directory, "ptb.train.txt")):
            return directory
    return None


@pytest.fixture(scope="session")
def ptb():
    directory = ptb_directory()
    if directory is None:
        pytest.skip("Penn Treebank not found: set ENAS_DATA to a folder holding ptb/ptb.train.txt (or place it in "
                    "<repo>/../shared/data/ptb)")
    return enas.data.PTB(directory)
