"""enas-repl's Jupyter-style features: `_`/`__`/`___`, magics, notebooks, --quiet, rich output and persistent history,
under a pty (pexpect) and with stdin piped; and the helpers of enas._repl / enas._magics in-process."""

import json
import os

import pytest

from enas._ffi import ABI_VERSION as ABI
from conftest import ENAS_LM_CELL, PAPER_CELL, TINY_SEARCH, synthetic_corpus
from enas import _magics, _repl
from test_repl import _env, _run, repl  # noqa: F401  (the fixture)


def _spawn(repl, *args, **env):
    pexpect = pytest.importorskip("pexpect")
    environment = _env()
    environment.update(env)
    child = pexpect.spawn(repl, list(args), env=environment, encoding="utf-8", timeout=60, dimensions=(40, 250))
    child.expect_exact("In [1]: ")
    return child


# ---- Under a terminal -----------------------------------------------------------------------------------------------

def test_history_magics_and_errors_under_a_pty(repl, tmp_path):
    pexpect = pytest.importorskip("pexpect")
    history = tmp_path / "history"
    child = _spawn(repl, ENAS_REPL_HISTORY=str(history))
    child.sendline("10 + 1")
    child.expect_exact("Out[1]: 11")
    child.sendline("20 + 2")
    child.expect_exact("Out[2]: 22")
    child.sendline("(_, __)")
    child.expect_exact("Out[3]: (22, 11)")
    child.sendline("for i in range(2):")
    child.expect_exact("   ...: ")
    child.sendline("    print('row', i * 10)")
    child.expect_exact("   ...: ")
    child.sendline("")
    child.expect_exact("row 10")
    child.expect_exact("In [5]: ")
    child.sendline("{}['missing']")
    child.expect_exact("KeyError: 'missing'")
    child.expect_exact("In [6]: ")
    child.sendline("%time sum(range(10))")
    child.expect_exact("Wall time: ")
    child.expect_exact("Out[6]: 45")
    child.sendline("alpha = 1")
    child.expect_exact("In [8]: ")
    child.sendline("%who")
    child.expect_exact("alpha")
    child.expect_exact("In [9]: ")
    child.sendline("%arch " + ENAS_LM_CELL)
    child.expect_exact("space: rnn (inferred")
    child.expect_exact("nodes: 9")
    child.sendline("%help")
    child.expect_exact("%search status — ")
    child.expect_exact("In [11]: ")
    child.sendline("%frobnicate")
    child.expect_exact("unknown magic %frobnicate")
    child.expect_exact("In [12]: ")
    child.sendline("'alive'")
    child.expect_exact("Out[12]: 'alive'")
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    # The typed lines were saved for the next session.
    saved = history.read_text()
    assert "20 + 2" in saved and "%who" in saved


def test_tab_completion_and_history_across_sessions(repl, tmp_path):
    pexpect = pytest.importorskip("pexpect")
    history = tmp_path / "history"
    history.write_text("'from the last session'\n")
    child = _spawn(repl, ENAS_REPL_HISTORY=str(history))
    child.sendline("unusual_name_for_completion = 5")
    child.expect_exact("In [2]: ")
    child.send("unusual_name_for_comp\t")
    child.expect_exact("unusual_name_for_completion")
    child.sendline("")
    child.expect_exact("Out[2]: 5")
    child.expect_exact("In [3]: ")
    child.send("\x1b[A\x1b[A\x1b[A")  # up three times: the line typed in the previous session
    child.sendline("")
    child.expect_exact("Out[3]: 'from the last session'")
    child.sendline("exit(3)")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 3


def test_unwritable_history_never_crashes(repl, tmp_path):
    pexpect = pytest.importorskip("pexpect")
    child = _spawn(repl, ENAS_REPL_HISTORY=str(tmp_path / "missing" / "dir" / "history"))
    child.sendline("1 + 2")
    child.expect_exact("Out[1]: 3")
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


# ---- With stdin piped -----------------------------------------------------------------------------------------------

def test_piped_magics(repl):
    cells = "\n".join([
        "1", "2", "3", "(_, __, ___)",
        "%time x = 21 * 2",
        "%time x + 1",
        "%timeit -n 3 -r 2 x * 2",
        "def helper(): pass", "",
        "import math",
        "%who",
        "%arch " + ENAS_LM_CELL,
        "%arch --space rnn-v1 " + PAPER_CELL,
        "%arch 1 2 3 4 5 6 7",
        "%help",
        "%unknownmagic",
        "'still alive'",
        "%history -n",
        "%pwd",
        "%reset -f",
        "%who",
        "enas.abi_version()",
        "%search status",
    ]) + "\n"
    result = _run(repl, stdin=cells)
    out, err = result.stdout, result.stderr
    assert result.returncode == 0, err
    assert "Out[4]: (3, 2, 1)" in out
    assert "CPU times: user" in out and "Wall time:" in out and "Out[5]" not in out
    assert "Out[6]: 43" in out
    assert "per loop (mean ± std. dev. of 2 runs, 3 loops each)" in out and "best " in out
    assert "helper  x" in out and "math" not in out.split("helper  x")[1].split("\n")[0]
    assert "space: rnn (inferred; rnn-v1 rejects it; macro rejects it; micro rejects it)" in out
    assert f"rnn:    {ENAS_LM_CELL}\n" in out and "nodes: 9" in out
    assert "space: rnn-v1 (given)" in out and f"rnn-v1: {PAPER_CELL}\n" in out and "nodes: 12" in out
    assert "no space accepts '1 2 3 4 5 6 7'" in out and "  rnn: rejects it:" in out and "  rnn-v1: rejects it:" in out
    assert "  macro: rejects it:" in out and "  micro: rejects it:" in out
    assert "%timeit [-n N] [-r R]" in out and "%search status" in out and "%arch [--space" in out
    assert "UsageError: unknown magic %unknownmagic" in err
    assert "Out[16]: 'still alive'" in out
    assert "   5: %time x = 21 * 2" in out
    assert f"Out[18]: {os.getcwd()!r}" in out
    assert "Interactive namespace is empty." in out
    assert f"Out[21]: {ABI}" in out
    assert "no search yet" in out


def test_run_load_cd_and_errors_inside_magics(repl, tmp_path):
    script = tmp_path / "job.py"
    script.write_text("import sys\nresult = sys.argv[1:]\nprint('ran', __name__)\n")
    snippet = tmp_path / "snippet.py"
    snippet.write_text("loaded = 40\nloaded + 2\n")
    cells = "\n".join([
        f"%run {script} a 'b c'",
        "result",
        f"%load {snippet}",
        "loaded",
        f"%cd {tmp_path}",
        "import os; os.getcwd()",
        "%run /nonexistent.py",
        "%time 1/0",
        "%timeit -n",
        "'after'",
    ]) + "\n"
    result = _run(repl, stdin=cells)
    out, err = result.stdout, result.stderr
    assert result.returncode == 0, err
    assert "ran __main__" in out and "Out[2]: ['a', 'b c']" in out
    assert f"# %load {snippet}\nloaded = 40\nloaded + 2\nOut[3]: 42" in out and "Out[4]: 40" in out
    assert f"Out[6]: {str(tmp_path)!r}" in out
    assert "UsageError: %run: can't open '/nonexistent.py'" in err
    assert "ZeroDivisionError" in err and "%time 1/0" in err and "_magics.py" not in err and "_repl.py" not in err
    assert "UsageError: %timeit: -n needs a positive integer" in err
    assert "Out[10]: 'after'" in out


def test_rich_output(repl):
    cells = (f"a = enas.Architecture.parse({ENAS_LM_CELL!r}); a\n"
             "class Fancy:\n    def _repl_repr_(self):\n        return 'fancy!'\n\nFancy()\n"
             "[{'step': i, 'loss': 1.0 / (i + 1)} for i in range(30)]\n")
    result = _run(repl, stdin=cells)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Out[1]: 0:tanh 1←0:sigmoid" in out
    assert "Out[3]: fancy!" in out
    assert "Out[4]:\n[30 records × 2 keys]\n" in out
    lines = out.split("[30 records × 2 keys]\n")[1].splitlines()
    assert lines[0].split() == ["step", "loss"] and lines[1].split() == ["0", "0", "1"]
    assert lines[6].split() == ["…", "…", "…"] and lines[11].split()[:2] == ["29", "29"]


def test_quiet_hides_the_banner(repl):
    assert "enas-repl —" in _run(repl, stdin="1\n").stdout
    result = _run(repl, "--quiet", stdin="1\n")
    assert "enas-repl —" not in result.stdout and "In [1]: Out[1]: 1" in result.stdout
    result = _run(repl, "--quiet", "-c", "print('hi')")
    assert result.returncode == 0 and result.stdout == "hi\n"


# ---- Notebooks ------------------------------------------------------------------------------------------------------

def _notebook(path, cells):
    path.write_text(json.dumps({
        "nbformat": 4, "nbformat_minor": 5, "metadata": {},
        "cells": [{"cell_type": kind, "metadata": {}, "source": source, **({"outputs": [], "execution_count": None}
                                                                           if kind == "code" else {})}
                  for kind, source in cells],
    }))
    return path


def test_notebook_stops_at_the_failing_cell(repl, tmp_path):
    notebook = _notebook(tmp_path / "fails.ipynb", [
        ("code", ["print('hello from', 'cell 1')\n", "value = 6"]),
        ("markdown", "# not code"),
        ("code", "value * 7"),
        ("code", ["def broken():\n", "    return 1 / 0\n", "broken()"]),
        ("code", "print('never')"),
    ])
    result = _run(repl, str(notebook))
    assert result.returncode == 1
    out, err = result.stdout, result.stderr
    assert "hello from cell 1" in out and "Out[2]: 42" in out and "In [2]: value * 7" in out
    assert "never" not in out
    assert 'File "<In [3]>", line 2, in broken' in err and "return 1 / 0" in err and "ZeroDivisionError" in err
    assert "code cell 3 failed" in err


def test_notebook_with_magics_passes(repl, tmp_path):
    notebook = _notebook(tmp_path / "passes.ipynb", [
        ("code", "import sys\nargs = sys.argv[1:]"),
        ("code", "!ls -l\n%time total = sum(range(100))\ntotal"),
        ("code", "%arch " + ENAS_LM_CELL),
        ("code", "args"),
    ])
    result = _run(repl, str(notebook), "x")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "skipped: !ls -l" in out and "Wall time" in out and "Out[2]: 4950" in out and "nodes: 9" in out
    assert "Out[4]: ['x']" in out
    quiet = _run(repl, "--quiet", str(notebook))
    assert quiet.returncode == 0, quiet.stderr
    assert "In [" not in quiet.stdout and "Out[" not in quiet.stdout and "4950\n" in quiet.stdout
    assert "enas-repl —" not in quiet.stdout


def test_notebook_exit_status_and_bad_json(repl, tmp_path):
    notebook = _notebook(tmp_path / "exits.ipynb", [("code", "import sys; sys.exit(4)")])
    assert _run(repl, str(notebook)).returncode == 4
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{not json")
    result = _run(repl, str(bad))
    assert result.returncode == 2 and "not a readable notebook" in result.stderr


# ---- In-process -----------------------------------------------------------------------------------------------------

def test_underscore_history_in_process(capsys):
    namespace = {}
    session = _repl.Session(namespace)
    for source in ("1", "None", "2", "3"):
        session.run_cell(source)
    assert (namespace["_"], namespace["__"], namespace["___"]) == (3, 2, 1)
    assert namespace["_3"] == 2 and namespace["Out"] == {1: 1, 3: 2, 4: 3}
    assert capsys.readouterr().out == "Out[1]: 1\nOut[3]: 2\nOut[4]: 3\n"


def test_run_cell_reports_success(capsys):
    session = _repl.Session({})
    assert session.run_cell("x = 1") is True
    assert session.run_cell("1/0") is False
    assert session.run_cell("1 +* 2") is False
    assert session.run_cell("%nomagic") is False
    assert "UsageError: unknown magic %nomagic" in capsys.readouterr().err


def test_transform_keeps_lines_and_leaves_python_alone():
    source = "if True:\n    %time y = 1\nz = %pwd\n!echo hi"
    transformed = _magics.transform(source)
    assert transformed.splitlines() == [
        "if True:", "    _enas_magic('time', 'y = 1')", "z = _enas_magic('pwd', '')", "_enas_shell('echo hi')"]
    session = _repl.Session({})
    assert session.run_cell("x = (10\n%3)")  # Python's modulo, not a magic
    assert session.namespace["x"] == 1


def test_read_cell_takes_a_magic_line_as_a_cell():
    session = _repl.Session({})
    queue = ["%who", "x = 1"]
    assert session.read_cell(lambda prompt: queue.pop(0)) == "%who"


def test_search_status_in_process(capsys):
    import enas

    namespace = {"enas": enas}
    session = _repl.Session(namespace)
    with synthetic_corpus() as corpus:
        search = enas.Search(data=corpus, config=TINY_SEARCH)
        session.run_cell("%search status")
        out = capsys.readouterr().out
        assert "epoch 0/1" in out and "last event: none yet" in out
        search.run(progress=False)
        search.derive()
        session.run_cell("%search status")
        out = capsys.readouterr().out
        assert "finished, epoch 1/1" in out and "last event: derive epoch 1 step 1: ppl" in out
        assert "derived: 0:" in out
        ppls = [r["ppl"] for r in search.history if r["phase"] in ("controller", "derive")]
        assert f"best sampled so far: validation ppl {min(ppls):.4g}" in out
        namespace["search"] = search
        session.run_cell("search")   # a Search shows the same summary as its value
        assert "best sampled so far" in capsys.readouterr().out
        search.close()
        session.run_cell("%search status")
        assert "closed" in capsys.readouterr().out


def test_format_time():
    assert _magics.format_time(1.5) == "1.5 s"
    assert _magics.format_time(0.00123) == "1.23 ms"
    assert _magics.format_time(2e-9) == "2 ns"
    assert _magics.format_time(125) == "2min 5.0s"
