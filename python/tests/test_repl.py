"""enas-repl: the embedded-CPython REPL, under a pty (pexpect) and with stdin piped; script and -c modes; and the
cell logic of enas._repl in-process. The binary is $ENAS_REPL_PATH, else <repo>/.build/release/enas-repl."""

import os
import re
import subprocess
import sys

import pytest

from conftest import REPO_DIR, child_env
from enas import _repl
from enas._ffi import ABI_VERSION as ABI

REPL = os.environ.get("ENAS_REPL_PATH") or os.path.join(REPO_DIR, ".build", "release", "enas-repl")


@pytest.fixture(scope="module")
def repl():
    if not os.path.isfile(REPL):
        pytest.fail(f"no enas-repl at {REPL}: build it (swift build -c release --product enas-repl) or set "
                    "ENAS_REPL_PATH")
    return REPL


def _env():
    # The REPL finds the library beside itself; a stray override must not matter. TERM=dumb keeps readline quiet.
    return child_env(ENAS_LIBRARY_PATH=None, TERM="dumb")


def _run(repl, *args, stdin=""):
    return subprocess.run([repl, *args], input=stdin, env=_env(), capture_output=True, text=True, timeout=120)


# ---- Under a terminal -------------------------------------------------------------------------------------------

def _spawn(repl):
    pexpect = pytest.importorskip("pexpect")
    child = pexpect.spawn(repl, env=_env(), encoding="utf-8", timeout=60, dimensions=(40, 200))
    child.expect_exact("In [1]: ")
    return child


def test_interactive_session_under_a_pty(repl):
    pexpect = pytest.importorskip("pexpect")
    child = _spawn(repl)
    child.sendline("1+1")
    child.expect_exact("Out[1]: 2")
    child.expect_exact("In [2]: ")
    child.sendline("def twice(x):")
    child.expect_exact("   ...: ")
    child.sendline("    return 2 * x")
    child.expect_exact("   ...: ")
    child.sendline("")
    child.expect_exact("In [3]: ")
    child.sendline("twice(21)")
    child.expect_exact("Out[3]: 42")
    child.sendline("1/0")
    child.expect_exact("ZeroDivisionError: division by zero")
    child.expect_exact("In [5]: ")
    child.sendline("import enas; enas.abi_version()")
    child.expect_exact(f"Out[5]: {ABI}")
    child.sendline("Out[3] + _")
    child.expect_exact(f"Out[6]: {42 + ABI}")
    child.sendline("exit(7)")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 7


def test_ctrl_c_and_ctrl_d_under_a_pty(repl):
    pexpect = pytest.importorskip("pexpect")
    child = _spawn(repl)
    child.sendintr()
    child.expect_exact("KeyboardInterrupt")
    child.expect_exact("In [1]: ")
    child.sendline("import time; print('sl' + 'eeping'); time.sleep(30)")
    child.expect_exact("\r\nsleeping")  # printed by the cell (the echo reads 'sl' + 'eeping'): it is running
    child.sendintr()
    child.expect_exact("KeyboardInterrupt")
    child.expect_exact("In [2]: ")
    child.sendline("'still here'")
    child.expect_exact("Out[2]: 'still here'")
    child.expect_exact("In [3]: ")  # Ctrl-D typed ahead of the prompt is lost when readline switches the tty mode
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_ctrl_c_stops_a_search_at_a_step_boundary(repl):
    pexpect = pytest.importorskip("pexpect")
    child = _spawn(repl)
    child.sendline("import enas, time, numpy as np")
    child.expect_exact("In [2]: ")
    child.sendline("c = enas.data.Tokens(np.arange(400) % 10, np.arange(120) % 10, np.arange(120) % 10, 10)")
    child.expect_exact("In [3]: ")
    child.sendline(
        "s = enas.Search(data=c, config={'epochs': 1000, 'child': {'hidden_size': 8, 'node_count': 3}, "
        "'training': {'batch_size': 4, 'bptt': 5}, 'windows_per_epoch': 3, 'controller_steps_per_epoch': 1, "
        "'valid_batch_size': 2, 'controller': {'hidden_size': 8}, 'reinforce': {'samples_per_step': 2}})")
    child.expect_exact("In [4]: ")
    child.sendline("s.run(progress=False, callback=lambda e: print('at', 'step', len(s.history), flush=True) or "
                   "time.sleep(0.05))")
    child.expect_exact("at step 3")  # running (the echo of the cell reads 'at', 'step')
    child.sendintr()
    child.expect_exact("KeyboardInterrupt")
    child.expect_exact("In [5]: ")
    child.sendline("s.state['running'], 3 <= len(s.history) < 100, s.state['epoch'] < 1000")
    child.expect_exact("Out[5]: (False, True, True)")
    child.sendline("s.run(epochs=1, progress=False)")  # resumes
    child.expect_exact("Out[6]: True")
    child.expect_exact("In [7]: ")  # Ctrl-D typed ahead of the prompt is lost when readline switches the tty mode
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


# ---- With stdin piped -------------------------------------------------------------------------------------------

def test_piped_session_prints_prompts_and_outputs(repl):
    cells = "1+1\ndef twice(x):\n    return 2 * x\n\ntwice(21)\n1/0\nimport enas; enas.abi_version()\nx = 3;\nx\n"
    result = _run(repl, stdin=cells)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.count("In [1]: ") == 1 and "Out[1]: 2" in out
    assert "In [2]: " in out and "   ...: " in out
    assert "Out[3]: 42" in out
    assert f"Out[5]: {ABI}" in out
    assert "Out[6]" not in out  # a trailing ';' hides the value
    assert "Out[7]: 3" in out
    assert re.search(r'File "<In \[4\]>", line 1.*\n\s+1/0\n', result.stderr), result.stderr
    assert "ZeroDivisionError: division by zero" in result.stderr


def test_piped_session_exit_status_and_eof_in_a_block(repl):
    assert _run(repl, stdin="raise SystemExit(5)\n").returncode == 5
    assert _run(repl, stdin="exit()\n").returncode == 0
    result = _run(repl, stdin="for i in range(3):\n    print('line', i)")
    assert result.returncode == 0 and "line 2" in result.stdout


def test_syntax_error_keeps_the_session(repl):
    result = _run(repl, stdin="1 +* 2\n'after'\n")
    assert result.returncode == 0
    assert "SyntaxError" in result.stderr and "Out[2]: 'after'" in result.stdout


def test_one_copy_of_the_core(repl):
    code = (
        "import enas, os\n"
        "maps = {line.split()[-1] for line in open('/proc/self/maps') if 'libenas' in line}\n"
        "print(len(maps), maps.pop() == os.path.realpath(enas.library_path()))\n"
    )
    result = _run(repl, "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["1", "True"]
    libdir = os.path.dirname(os.path.realpath(repl))
    result = _run(repl, "-c", "import enas; print(enas.library_path())")
    assert os.path.realpath(result.stdout.strip()) == os.path.join(libdir, "libenas.so")


# ---- Programs ---------------------------------------------------------------------------------------------------

def test_script_runs_as_main_with_its_status(repl, tmp_path):
    script = tmp_path / "job.py"
    script.write_text("import sys, enas\nprint(__name__, sys.argv[1:], enas.abi_version())\nsys.exit(int(sys.argv[1]))\n")
    result = _run(repl, str(script), "3")
    assert result.returncode == 3 and result.stdout.strip() == f"__main__ ['3'] {ABI}"
    failing = tmp_path / "fail.py"
    failing.write_text("def boom():\n    raise ValueError('boom')\nboom()\n")
    result = _run(repl, str(failing))
    assert result.returncode == 1
    assert "ValueError: boom" in result.stderr and "raise ValueError('boom')" in result.stderr
    assert "_repl.py" not in result.stderr


def test_dash_c_and_usage_errors(repl):
    result = _run(repl, "-c", "import sys; print(sys.argv)", "a")
    assert result.returncode == 0 and result.stdout.strip() == "['-c', 'a']"
    assert _run(repl, "-c", "1/0").returncode == 1
    assert _run(repl, "/nonexistent/script.py").returncode == 2
    assert _run(repl, "--bogus").returncode == 2
    assert "usage: enas-repl" in _run(repl, "--help").stdout


# ---- The cell logic in-process ----------------------------------------------------------------------------------

def _reader(lines):
    queue = list(lines)
    prompts = []

    def read(prompt):
        prompts.append(prompt)
        if not queue:
            raise EOFError
        return queue.pop(0)

    return read, prompts


def test_read_cell_collects_blocks():
    session = _repl.Session({})
    read, prompts = _reader(["if True:", "    x = 1", "", "y"])
    assert session.read_cell(read) == "if True:\n    x = 1\n"
    assert prompts == ["In [1]: ", "   ...: ", "   ...: "]
    assert session.read_cell(read) == "y"
    with pytest.raises(EOFError):
        session.read_cell(read)


def test_read_cell_blank_and_unbalanced_lines():
    session = _repl.Session({})
    read, _ = _reader(["   ", "f(1,", "2)"])
    assert session.read_cell(read) is None
    assert session.read_cell(read) == "f(1,\n2)"


def test_run_cell_outputs_and_history(capsys):
    namespace = {}
    session = _repl.Session(namespace)
    session.run_cell("a = 20")
    session.run_cell("a + 1")
    session.run_cell("None")
    session.run_cell("b = a; b * 2")
    out = capsys.readouterr().out
    assert out == "Out[2]: 21\nOut[4]: 40\n"
    assert namespace["Out"] == {2: 21, 4: 40} and namespace["_"] == 40
    assert namespace["In"] == ["", "a = 20", "a + 1", "None", "b = a; b * 2"]
    assert session.prompt == "In [5]: "


def test_run_cell_traceback_shows_the_cell_line(capsys):
    session = _repl.Session({})
    session.run_cell("def f():\n    return {}['missing']\nf()")
    err = capsys.readouterr().err
    assert 'File "<In [1]>", line 2, in f' in err and "return {}['missing']" in err and "KeyError" in err
    assert "_repl.py" not in err
    with pytest.raises(SystemExit):
        session.run_cell("raise SystemExit(2)")


def test_exit_status_mapping(capsys):
    assert _repl.exit_status(SystemExit()) == 0
    assert _repl.exit_status(SystemExit(4)) == 4
    assert _repl.exit_status(SystemExit("bye")) == 1
    assert "bye" in capsys.readouterr().err
