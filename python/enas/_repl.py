"""The read–eval–print loop of enas-repl (the Swift executable embeds CPython and calls ``main``).

The cell logic lives here rather than in Swift because it is Python semantics (compile, exec, tracebacks) and is
tested as Python; the executable only loads libenas.so, starts the interpreter and passes argv.

    enas-repl                  interactive: ``In [n]:`` / ``Out[n]:`` prompts, also when stdin is a pipe
    enas-repl script.py [args] runs the file as __main__; exits with its status (1 with a traceback on an exception)
    enas-repl -c CODE [args]   runs CODE the same way
"""

import ast
import codeop
import linecache
import os
import sys
import traceback

USAGE = """usage: enas-repl [-c CODE | FILE] [ARG ...]
  (no arguments)  interactive session with `enas` imported; Ctrl-D or exit() quits
  FILE            run a Python file as __main__ and exit with its status
  -c CODE         run CODE as __main__ and exit with its status
  -h, --help      show this help"""


def main(argv):
    """Runs enas-repl with ``argv`` (``argv[0]`` is the program); returns the process exit status."""
    args = list(argv[1:])
    if not args:
        return interactive()
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


def _print_exception(error):
    """Prints ``error``'s traceback without this module's frames (cell lines come from linecache)."""
    tb = error.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    _flush()
    traceback.print_exception(type(error), error, tb)
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
    """One interactive session: numbered cells run in ``namespace`` (``__main__``), with ``In``, ``Out`` and ``_``."""

    def __init__(self, namespace):
        self.namespace = namespace
        self.count = 1
        self.inputs = [""]
        self.outputs = {}
        namespace["In"] = self.inputs
        namespace["Out"] = self.outputs

    @property
    def prompt(self):
        return f"In [{self.count}]: "

    @property
    def continuation_prompt(self):
        return " " * (len(self.prompt) - len("...: ")) + "...: "

    def read_cell(self, read_line):
        """Reads one cell with ``read_line(prompt)``: lines until the source is complete (a blank line ends a
        block). Returns None for an empty line. EOF (``EOFError``) in the middle of a cell returns what was read."""
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
            lines.append(line)
            source = "\n".join(lines)
            try:
                if codeop.compile_command(source, "<input>", "single") is None:
                    continue  # incomplete: read a continuation line
            except (SyntaxError, OverflowError, ValueError):
                pass  # complete but invalid: run_cell reports it
            return source

    def run_cell(self, source):
        """Runs one cell; shows ``Out[n]: repr`` when it ends with an expression (unless it ends with ``;``)
        and a traceback when it raises. SystemExit propagates."""
        n = self.count
        self.count += 1
        self.inputs.append(source)
        filename = f"<In [{n}]>"
        # Tracebacks show the cell's lines.
        linecache.cache[filename] = (len(source), None, [line + "\n" for line in source.splitlines()], filename)
        try:
            try:
                tree = ast.parse(source, filename, "exec")
            except (SyntaxError, ValueError, OverflowError) as error:
                _flush()
                traceback.print_exception(type(error), error, None)
                return
            body = tree.body
            show = bool(body) and isinstance(body[-1], ast.Expr) and not source.rstrip().endswith(";")
            try:
                if show:
                    exec(compile(ast.Module(body[:-1], type_ignores=[]), filename, "exec"), self.namespace)
                    value = eval(compile(ast.Expression(body[-1].value), filename, "eval"), self.namespace)
                else:
                    exec(compile(tree, filename, "exec"), self.namespace)
                    value = None
                if value is not None:
                    self.outputs[n] = value
                    self.namespace["_"] = value
                    print(f"Out[{n}]: {value!r}")
            except SystemExit:
                raise
            except BaseException as error:
                _print_exception(error)
        finally:
            _flush()


def _banner():
    import enas

    return (
        f"enas-repl — enas {enas.version()} (ABI {enas.abi_version()}), Python {sys.version.split()[0]}\n"
        f"libenas: {enas.library_path()}\n"
        "`enas` is imported. Ctrl-D or exit() quits."
    )


def _enable_line_editing():
    """GNU readline history and editing when a person types; its bracketed-paste escapes would clutter a pty."""
    try:
        import readline
    except ImportError:
        return
    readline.parse_and_bind("set enable-bracketed-paste off")


def interactive():
    """The read–eval–print loop; returns the exit status (0 on Ctrl-D, SystemExit's status on exit())."""
    import enas

    namespace = _main_namespace()
    namespace.setdefault("enas", enas)
    sys.argv = [""]
    sys.path.insert(0, "")
    if sys.stdin.isatty():
        _enable_line_editing()
    print(_banner())
    _flush()
    session = Session(namespace)
    while True:
        # Ctrl-C can land anywhere in an iteration (at the prompt, between cells): it drops the cell, never the session.
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
