"""Shared set-up: import the package from this checkout when it is not installed, and give subprocesses the same
environment. The library comes from $ENAS_LIBRARY_PATH or the package's own search (beside it, then the
repository's .build/release)."""

import os
import subprocess
import sys

import pytest

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO_DIR = os.path.dirname(PYTHON_DIR)

try:
    import enas  # noqa: F401
except ModuleNotFoundError:
    sys.path.insert(0, PYTHON_DIR)
    import enas  # noqa: F401


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
