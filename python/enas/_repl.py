"""The read–eval–print loop of enas-repl (the Swift executable embeds CPython and calls ``main``).

The cell logic lives here rather than in Swift because it is Python semantics (compile, exec, tracebacks) and is
tested as Python; the executable only loads libenas.so, starts the interpreter and passes argv.

    enas-repl                  interactive: ``In [n]:`` / ``Out[n]:`` prompts, also when stdin is a pipe
    enas-repl script.py [args] runs the file as __main__; exits with its status (1 with a traceback on an exception)
    enas-repl nb.ipynb [args]  runs the notebook's code cells in order as cells (magics included); 1 on a failing cell
    enas-repl -c CODE [args]   runs CODE the same way as a script
    --quiet (first)            no banner; a notebook's cells are not echoed and values print without Out[n]

Magics (``%help``) live in enas._magics; a cell's ``%name args`` lines become calls of the session's magic function.
"""

import ast
import codeop
import json
import linecache
import os
import sys
import traceback

from . import _magics

USAGE = """usage: enas-repl [--quiet] [-c CODE | FILE] [ARG ...]
  (no arguments)  interactive session with `enas` imported; Ctrl-D or exit() quits; %help lists the magics
  FILE.py         run a Python file as __main__ and exit with its status
  FILE.ipynb      run a notebook's code cells in order (In/Out shown); exit 1 at the first failing cell
  -c CODE         run CODE as __main__ and exit with its status
  -q, --quiet     no banner; for notebooks, no In [n] echo and values without Out[n]
  -h, --help      show this help
History is kept in $ENAS_REPL_HISTORY (default ~/.enas_repl_history) when stdin is a terminal."""


def main(argv):
    """Runs enas-repl with ``argv`` (``argv[0]`` is the program); returns the process exit status."""
    args = list(argv[1:])
    quiet = False
    while args and args[0] in ("-q", "--quiet"):
        quiet = True
        args.pop(0)
    if not args:
        return interactive(quiet=quiet)
    if args[0] in ("-h", "--help"):
        print(USAGE)
        return 0
    if args[0] == "-c":
        if len(args) < 2:
            print("enas-repl: -c needs an argument\n" + USAGE, file=sys.stderr)
            return 2
        return run_program(args[1], "<string>", ["-c"] + args[2:], path_entry="")
    if args[0].startswith("-"):
        print(f"enas-repl: unknown option {args[0]}\n" + USAGE, file=sys.stderr)
        return 2
    path = args[0]
    try:
        with open(path, "rb") as file:
            source = file.read()
    except OSError as error:
        print(f"enas-repl: can't open file {path!r}: {error}", file=sys.stderr)
        return 2
    if path.endswith(".ipynb"):
        return run_notebook(source, path, args, quiet=quiet)
    return run_program(source, path, args, path_entry=os.path.dirname(os.path.abspath(path)))


def exit_status(error):
    """The process status for a SystemExit, as CPython computes it (None → 0, int → itself, else print it → 1)."""
    code = error.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _main_namespace():
    return sys.modules["__main__"].__dict__


def _flush():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, ValueError, OSError):
            pass


_INTERNAL_FILES = {os.path.abspath(__file__), os.path.abspath(_magics.__file__)}


def _print_exception(error):
    """Prints ``error``'s traceback without the frames of this module and of the magics (cell lines come from
    linecache); a magic's UsageError is one line."""
    _flush()
    if isinstance(error, _magics.UsageError):
        print(f"UsageError: {error}", file=sys.stderr)
        _flush()
        return
    top = traceback.TracebackException(type(error), error, error.__traceback__)
    pending, seen = [top], set()
    while pending:  # this error and the ones it chains
        report = pending.pop()
        if report is None or id(report) in seen:
            continue
        seen.add(id(report))
        report.stack = traceback.StackSummary.from_list(
            [frame for frame in report.stack if os.path.abspath(frame.filename) not in _INTERNAL_FILES])
        pending += [report.__cause__, report.__context__]
    lines = list(top.format())
    sys.stderr.write("".join(lines))
    _flush()


def run_program(source, filename, argv, path_entry):
    """Runs ``source`` as ``__main__`` with ``sys.argv = argv``; returns the exit status."""
    namespace = _main_namespace()
    sys.argv = argv
    sys.path.insert(0, path_entry)
    if filename != "<string>":
        namespace["__file__"] = filename
    try:
        code = compile(source, filename, "exec")
        exec(code, namespace)
    except SystemExit as error:
        return exit_status(error)
    except SyntaxError as error:
        _flush()
        traceback.print_exception(type(error), error, None)
        return 1
    except KeyboardInterrupt as error:
        _print_exception(error)
        return 130
    except BaseException as error:
        _print_exception(error)
        return 1
    finally:
        _flush()
    return 0


class Session:
    """One session: numbered cells run in ``namespace`` (``__main__``), with ``In``, ``Out``, ``_``, ``__``, ``___``
    and magics. ``echo``: print each cell's source after ``In [n]:`` (notebooks); ``labels``: ``Out[n]:`` before
    values (off in quiet notebooks)."""

    def __init__(self, namespace, echo=False, labels=True):
        self.namespace = namespace
        self.count = 1
        self.inputs = [""]
        self.outputs = {}
        self.echo = echo
        self.labels = labels
        self.magics = _magics.Magics(self)
        namespace["In"] = self.inputs
        namespace["Out"] = self.outputs
        namespace[_magics.MAGIC_FUNCTION] = self.magics.run
        namespace[_magics.SHELL_FUNCTION] = self.magics.shell
        self.initial_names = set(namespace)

    @property
    def prompt(self):
        return f"In [{self.count}]: "

    @property
    def continuation_prompt(self):
        return " " * (len(self.prompt) - len("...: ")) + "...: "

    def read_cell(self, read_line):
        """Reads one cell with ``read_line(prompt)``: lines until the source is complete (a blank line ends a
        block; a first line starting with % or ! is a whole cell). Returns None for an empty line. EOF
        (``EOFError``) in the middle of a cell returns what was read."""
        lines = []
        while True:
            try:
                line = read_line(self.continuation_prompt if lines else self.prompt)
            except EOFError:
                if lines:
                    return "\n".join(lines)
                raise
            if not lines and not line.strip():
                return None
            if not lines and line.lstrip().startswith(("%", "!")):
                return line
            lines.append(line)
            source = "\n".join(lines)
            try:
                if codeop.compile_command(source, "<input>", "single") is None:
                    continue  # incomplete: read a continuation line
            except (SyntaxError, OverflowError, ValueError):
                pass  # complete but invalid: run_cell reports it
            return source

    def _load(self, source):
        """A ``%load FILE`` cell becomes the file's content (shown, then run as this cell)."""
        stripped = source.strip()
        if not (stripped.startswith("%load") and "\n" not in stripped and stripped[5:6] in ("", " ", "\t")):
            return source
        loaded = self.magics.load_source(stripped[5:])
        print(loaded)
        return loaded

    def run_cell(self, source):
        """Runs one cell; shows ``Out[n]: value`` when it ends with an expression (unless it ends with ``;``)
        and a traceback when it raises. Returns True when the cell ran without an error. SystemExit propagates."""
        n = self.count
        self.count += 1
        self.inputs.append(source)
        filename = f"<In [{n}]>"
        if self.echo:
            print(self.prompt_for(n) + source.replace("\n", "\n" + " " * (len(self.prompt_for(n)) - 5) + "...: "))
        try:
            try:
                source = self._load(source)
            except _magics.UsageError as error:
                _print_exception(error)
                return False
            self.inputs[n] = source
            # Tracebacks show the cell's lines (the source as typed, magics included).
            linecache.cache[filename] = (len(source), None, [line + "\n" for line in source.splitlines()], filename)
            try:
                tree = ast.parse(source, filename, "exec")
            except (SyntaxError, ValueError, OverflowError) as error:
                tree = None
                if _magics.has_magic(source):
                    try:
                        tree = ast.parse(_magics.transform(source), filename, "exec")
                    except _magics.UsageError as usage:
                        _print_exception(usage)
                        return False
                    except (SyntaxError, ValueError, OverflowError):
                        pass
                if tree is None:
                    _flush()
                    traceback.print_exception(type(error), error, None)
                    return False
            body = tree.body
            show = bool(body) and isinstance(body[-1], ast.Expr) and not source.rstrip().endswith(";")
            try:
                if show:
                    exec(compile(ast.Module(body[:-1], type_ignores=[]), filename, "exec"), self.namespace)
                    value = eval(compile(ast.Expression(body[-1].value), filename, "eval"), self.namespace)
                else:
                    exec(compile(tree, filename, "exec"), self.namespace)
                    value = None
            except SystemExit:
                raise
            except BaseException as error:
                _print_exception(error)
                return False
            if value is not None:
                self.show(n, value)
            return True
        finally:
            _flush()

    @staticmethod
    def prompt_for(n):
        return f"In [{n}]: "

    def show(self, n, value):
        """Records ``value`` as Out[n] (and ``_``, ``__``, ``___``, ``_n``) and prints it."""
        self.outputs[n] = value
        namespace = self.namespace
        namespace["___"] = namespace.get("__")
        namespace["__"] = namespace.get("_")
        namespace["_"] = value
        namespace[f"_{n}"] = value
        try:
            text = display_text(value)
        except Exception as error:  # a broken __repr__ is the user's error, not the session's
            _print_exception(error)
            return
        if not self.labels:
            print(text)
        elif "\n" in text:
            print(f"Out[{n}]:\n{text}")
        else:
            print(f"Out[{n}]: {text}")


# ---- Showing values ---------------------------------------------------------------------------------------------

def _cell_text(value, width=24):
    if isinstance(value, float):
        text = f"{value:.6g}"
    elif value is None:
        text = ""
    else:
        text = str(value)
    text = text.replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def records_table(records, head=5, tail=5):
    """A list of dicts (log records) as a text table: the union of their keys as columns, the first ``head`` and
    last ``tail`` rows (all of them when there are few)."""
    keys = []
    for record in records:
        keys += [key for key in record if key not in keys]
    indices = list(range(len(records)))
    if len(records) > head + tail + 1:
        indices = indices[:head] + [None] + indices[-tail:]
    rows = [[""] + [str(key) for key in keys]]
    for index in indices:
        if index is None:
            rows.append(["…"] + ["…"] * len(keys))
        else:
            record = records[index]
            rows.append([str(index)] + [_cell_text(record[key]) if key in record else "" for key in keys])
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = ["  ".join(cell.rjust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    noun = "record" if len(records) == 1 else "records"
    return f"[{len(records)} {noun} × {len(keys)} keys]\n" + "\n".join(lines)


def _is_records(value):
    return (type(value) is list and value and all(type(item) is dict and item for item in value)
            and all(isinstance(key, str) for item in value for key in item))


def display_text(value):
    """How the REPL shows a value: its ``_repl_repr_()`` if it has one; an enas.Architecture's one-line
    description; a table for a list of dicts (log records); else ``repr``."""
    method = getattr(type(value), "_repl_repr_", None)
    if method is not None:
        return str(method(value))
    architecture = getattr(sys.modules.get("enas.architecture"), "Architecture", None)
    if architecture is not None and isinstance(value, architecture) and not value.closed:
        return value.describe()
    if _is_records(value):
        return records_table(value)
    return repr(value)


# ---- Notebooks --------------------------------------------------------------------------------------------------

def notebook_cells(source, path):
    """The code cells' sources of an nbformat notebook (v4 ``cells``; v3 ``worksheets``), in order."""
    notebook = json.loads(source)
    if not isinstance(notebook, dict):
        raise ValueError("not a notebook (the JSON is not an object)")
    cells = notebook.get("cells")
    if cells is None:
        cells = [cell for sheet in notebook.get("worksheets", []) for cell in sheet.get("cells", [])]
    sources = []
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        text = cell.get("source", cell.get("input", ""))
        if isinstance(text, list):
            text = "".join(text)
        sources.append(text.rstrip("\n"))
    return sources


def run_notebook(source, path, argv, quiet=False):
    """Runs a notebook's code cells in order as cells of one session; returns 1 at the first failing cell (after
    its traceback), SystemExit's status if a cell exits, else 0."""
    try:
        cells = notebook_cells(source, path)
    except (ValueError, UnicodeDecodeError, AttributeError) as error:
        print(f"enas-repl: {path}: not a readable notebook: {error}", file=sys.stderr)
        return 2
    import enas

    namespace = _main_namespace()
    namespace.setdefault("enas", enas)
    sys.argv = list(argv)
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    session = Session(namespace, echo=not quiet, labels=not quiet)
    try:
        for index, cell in enumerate(cells, 1):
            if not cell.strip():
                continue
            if not session.run_cell(cell):
                _flush()
                print(f"enas-repl: {path}: code cell {index} failed", file=sys.stderr)
                return 1
    except SystemExit as error:
        return exit_status(error)
    except KeyboardInterrupt:
        print("\nKeyboardInterrupt", file=sys.stderr)
        return 130
    finally:
        _flush()
    return 0


# ---- Interactive ------------------------------------------------------------------------------------------------

def _banner():
    import enas

    return (
        f"enas-repl — enas {enas.version()} (ABI {enas.abi_version()}), Python {sys.version.split()[0]}\n"
        f"libenas: {enas.library_path()}\n"
        "`enas` is imported. %help lists the magics; Ctrl-D or exit() quits."
    )


def history_path():
    return os.environ.get("ENAS_REPL_HISTORY") or os.path.join(os.path.expanduser("~"), ".enas_repl_history")


def _enable_line_editing(namespace):
    """GNU readline editing, persistent history and tab completion of the session's names when a person types.
    Returns a function that saves the history (never raising), or None without readline."""
    try:
        import readline
    except ImportError:
        return None
    try:
        # Its bracketed-paste escapes would clutter a pty.
        readline.parse_and_bind("set enable-bracketed-paste off")
        import rlcompleter

        readline.set_completer(rlcompleter.Completer(namespace).complete)
        if "libedit" in (getattr(readline, "__doc__", "") or ""):
            readline.parse_and_bind("bind ^I rl_complete")
        else:
            readline.parse_and_bind("tab: complete")
    except Exception:
        pass
    path = history_path()
    try:
        readline.set_history_length(10000)
        if os.path.exists(path):
            readline.read_history_file(path)
    except Exception:  # unreadable or not a history file: start empty
        pass

    def save():
        try:
            readline.write_history_file(path)
        except Exception as error:
            print(f"enas-repl: could not save the history to {path}: {error}", file=sys.stderr)

    return save


def interactive(quiet=False):
    """The read–eval–print loop; returns the exit status (0 on Ctrl-D, SystemExit's status on exit())."""
    import enas

    namespace = _main_namespace()
    namespace.setdefault("enas", enas)
    sys.argv = [""]
    sys.path.insert(0, "")
    save_history = _enable_line_editing(namespace) if sys.stdin.isatty() else None
    if not quiet:
        print(_banner())
    _flush()
    session = Session(namespace)
    try:
        while True:
            # Ctrl-C can land anywhere in an iteration (at the prompt, between cells): it drops the cell, never the
            # session.
            try:
                source = session.read_cell(input)
                if source is not None:
                    session.run_cell(source)
            except EOFError:
                print()
                _flush()
                return 0
            except KeyboardInterrupt:
                print("\nKeyboardInterrupt")
                _flush()
            except SystemExit as error:
                return exit_status(error)
    finally:
        if save_history is not None:
            save_history()
        _flush()
