"""enas-repl's magics: a cell line ``%name args`` runs ``Magics.run("name", "args")`` (``!cmd`` lines are noted and
skipped). A magic's return value is the line's value, so ``%time 1 + 1`` or ``%pwd`` on a cell's last line shows
as ``Out[n]``. Bad usage raises ``UsageError`` (printed as one line, no traceback); errors from the user's code
propagate like any cell error. Nothing here ever ends the session except SystemExit raised by the user's code."""

import math
import os
import re
import shlex
import sys
import time
import timeit

# One line `%name args` or `!cmd`, optionally assigned: `x = %pwd`. Indentation is kept, so magics work in blocks.
_MAGIC_LINE = re.compile(r"^(?P<indent>[ \t]*)(?P<target>[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*\s*=\s*)?"
                         r"(?P<kind>%|!)(?P<rest>.*)$")
MAGIC_FUNCTION = "_enas_magic"
SHELL_FUNCTION = "_enas_shell"


class UsageError(Exception):
    """A magic used wrongly: shown as ``UsageError: message`` without a traceback."""


def has_magic(source):
    return any(_MAGIC_LINE.match(line) for line in source.splitlines())


def transform(source):
    """The cell's source with each ``%magic args`` / ``!cmd`` line replaced, line for line (so tracebacks keep their
    line numbers), by a call of the session's magic or shell function. Sources that already parse are left alone
    (a ``%`` line inside a string or a parenthesised expression is Python)."""
    lines = []
    for line in source.split("\n"):
        match = _MAGIC_LINE.match(line)
        if match is None:
            lines.append(line)
            continue
        indent, target, kind, rest = match.group("indent", "target", "kind", "rest")
        if kind == "%":
            if rest.startswith("%"):
                name = rest[1:].split()[0] if rest[1:].split() else ""
                raise UsageError(f"cell magics (%%{name}) are not supported by enas-repl; use the line magic %{name}")
            name, _, argument = rest.strip().partition(" ")
            call = f"{MAGIC_FUNCTION}({name!r}, {argument.strip()!r})"
        else:
            call = f"{SHELL_FUNCTION}({rest.strip()!r})"
        lines.append(f"{indent}{target or ''}{call}")
    return "\n".join(lines)


# ---- Formatting -----------------------------------------------------------------------------------------------------

def _micro():
    try:
        "µ".encode(sys.stdout.encoding or "ascii")
        return "µs"
    except (UnicodeEncodeError, LookupError):
        return "us"


def format_time(seconds):
    """``seconds`` with three significant digits in s, ms, µs or ns (as IPython's %timeit)."""
    if seconds >= 60:
        minutes, rest = divmod(seconds, 60)
        return f"{int(minutes)}min {rest:.1f}s"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), (_micro(), 1e-6), ("ns", 1e-9)):
        if seconds >= scale or unit == "ns":
            return f"{seconds / scale:.3g} {unit}"


# ---- The magics -----------------------------------------------------------------------------------------------------

HELP = {
    "time": "%time STATEMENT_OR_EXPRESSION — run it once; print CPU and wall time (an expression's value shows as Out)",
    "timeit": "%timeit [-n N] [-r R] STATEMENT — time it over R repeats of N loops (N picked automatically)",
    "run": "%run FILE.py [ARGS] — run a Python file in the session namespace with sys.argv = [FILE, ARGS...]",
    "load": "%load FILE — show FILE's content as this cell and run it",
    "history": "%history [-n] — this session's inputs (-n: with their numbers)",
    "who": "%who — the user's variables (not modules, In/Out or _ names)",
    "reset": "%reset -f — delete the user's variables and Out (keeps `enas`)",
    "pwd": "%pwd — the current directory",
    "cd": "%cd [DIR] — change directory (no DIR: home; -: the previous one)",
    "arch": "%arch [--space rnn|rnn-v1|macro|micro] INTS — parse an architecture string, describe it in its forms",
    "search": "%search status — state and progress of this session's current or last enas.Search",
    "help": "%help — this list",
}


class Magics:
    """The magics of one session (``session`` is an enas._repl.Session: namespace, inputs, outputs)."""

    def __init__(self, session):
        self.session = session
        self.previous_directory = None

    @property
    def namespace(self):
        return self.session.namespace

    def run(self, name, argument):
        method = getattr(self, "magic_" + name, None) if name.isidentifier() else None
        if method is None:
            raise UsageError(f"unknown magic %{name}; %help lists the magics")
        return method(argument)

    @staticmethod
    def shell(command):
        print(f"(enas-repl does not run shell commands; skipped: !{command})")

    # ---- Timing ---------------------------------------------------------------------------------------------------

    def _compile(self, code, magic):
        if not code.strip():
            raise UsageError(f"%{magic} needs a statement or expression: {HELP[magic]}")
        filename = f"<%{magic}>"
        import linecache

        linecache.cache[filename] = (len(code), None, [line + "\n" for line in code.splitlines()], filename)
        try:
            return compile(code, filename, "eval"), True
        except SyntaxError:
            return compile(code, filename, "exec"), False

    def magic_time(self, argument):
        code, is_expression = self._compile(argument, "time")
        wall, cpu = time.perf_counter(), os.times()
        try:
            value = eval(code, self.namespace) if is_expression else (exec(code, self.namespace) or None)
        finally:
            after = os.times()
            wall = time.perf_counter() - wall
            user, system = after.user - cpu.user, after.system - cpu.system
            print(f"CPU times: user {format_time(user)}, sys: {format_time(system)}, total: "
                  f"{format_time(user + system)}\nWall time: {format_time(wall)}")
        return value

    def magic_timeit(self, argument):
        loops, repeat = None, 7
        while True:
            match = re.match(r"\s*(-[nr])(?:\s+(\S+))?", argument)
            if match is None:
                break
            option, value = match.groups()
            if value is None or not value.isdigit() or int(value) < 1:
                raise UsageError(f"%timeit: {option} needs a positive integer: {HELP['timeit']}")
            if option == "-n":
                loops = int(value)
            else:
                repeat = int(value)
            argument = argument[match.end():]
        statement = argument.strip()
        if not statement:
            raise UsageError(f"%timeit needs a statement: {HELP['timeit']}")
        compile(statement, "<%timeit>", "exec")  # a syntax error is reported before any timing
        timer = timeit.Timer(statement, globals=self.namespace)
        if loops is None:
            loops = 1
            while True:  # as IPython: 1, 10, 100, … loops until one repeat takes 0.2 s
                if timer.timeit(loops) >= 0.2 or loops >= 10 ** 9:
                    break
                loops *= 10
        times = [t / loops for t in timer.repeat(repeat, loops)]
        best, mean = min(times), sum(times) / len(times)
        deviation = math.sqrt(sum((t - mean) ** 2 for t in times) / len(times))
        runs = f"{repeat} run{'s' if repeat != 1 else ''}, {loops} loop{'s' if loops != 1 else ''} each"
        print(f"{format_time(mean)} ± {format_time(deviation)} per loop (mean ± std. dev. of {runs}); "
              f"best {format_time(best)} per loop")

    # ---- Files ----------------------------------------------------------------------------------------------------

    @staticmethod
    def _read(path, magic):
        try:
            with open(os.path.expanduser(path), encoding="utf-8") as file:
                return file.read()
        except OSError as error:
            raise UsageError(f"%{magic}: can't open {path!r}: {error.strerror}") from None

    def magic_run(self, argument):
        try:
            words = shlex.split(argument)
        except ValueError as error:
            raise UsageError(f"%run: {error}") from None
        if not words:
            raise UsageError(f"%run needs a file: {HELP['run']}")
        path = words[0]
        source = self._read(path, "run")
        code = compile(source, path, "exec")
        saved_argv, saved_file = sys.argv, self.namespace.get("__file__")
        sys.argv = words
        self.namespace["__file__"] = path
        try:
            exec(code, self.namespace)
        except SystemExit as error:
            code = error.code
            if code not in (None, 0):
                print(f"{path} exited with status {code}", file=sys.stderr)
        finally:
            sys.argv = saved_argv
            if saved_file is None:
                self.namespace.pop("__file__", None)
            else:
                self.namespace["__file__"] = saved_file

    def load_source(self, argument):
        """%load's new cell source (the caller shows and runs it)."""
        path = argument.strip()
        if not path:
            raise UsageError(f"%load needs a file: {HELP['load']}")
        return f"# %load {path}\n" + self._read(path, "load").rstrip("\n")

    def magic_load(self, argument):
        raise UsageError("%load must be the only line of its cell")

    # ---- Session --------------------------------------------------------------------------------------------------

    def magic_history(self, argument):
        numbered = "-n" in argument.split()
        inputs = self.session.inputs[1:-1]  # without this cell
        for number, source in enumerate(inputs, 1):
            if numbered:
                lines = source.split("\n")
                print(f"{number:>4}: {lines[0]}")
                for line in lines[1:]:
                    print(f"      {line}")
            else:
                print(source)

    def user_names(self):
        import types

        hidden = self.session.initial_names | {"In", "Out", "exit", "quit", "get_ipython"}
        return sorted(name for name, value in self.namespace.items()
                      if not name.startswith("_") and name not in hidden and not isinstance(value, types.ModuleType))

    def magic_who(self, argument):
        names = self.user_names()
        print("  ".join(names) if names else "Interactive namespace is empty.")

    def magic_reset(self, argument):
        if "-f" not in argument.split():
            raise UsageError("%reset deletes all user variables without asking for confirmation only with -f: "
                             "%reset -f")
        keep = self.session.initial_names | {"In", "Out", MAGIC_FUNCTION, SHELL_FUNCTION}
        for name in list(self.namespace):
            if name not in keep and not (name.startswith("__") and name.endswith("__")):
                del self.namespace[name]
        self.session.outputs.clear()
        import enas

        self.namespace["enas"] = enas

    def magic_pwd(self, argument):
        return os.getcwd()

    def magic_cd(self, argument):
        target = argument.strip().strip("'\"")
        if target == "-":
            if self.previous_directory is None:
                raise UsageError("%cd -: no previous directory")
            target = self.previous_directory
        target = os.path.expanduser(target or "~")
        here = os.getcwd()
        try:
            os.chdir(target)
        except OSError as error:
            raise UsageError(f"%cd: {target}: {error.strerror}") from None
        self.previous_directory = here
        print(os.getcwd())

    # ---- enas -----------------------------------------------------------------------------------------------------

    def magic_arch(self, argument):
        from enas.architecture import SPACES, Architecture

        words = argument.replace(",", " ").replace("[", " ").replace("]", " ").split()
        space = None
        if words and (words[0] == "--space" or words[0].startswith("--space=")):
            if words[0] == "--space":
                if len(words) < 2:
                    raise UsageError(f"%arch: --space needs a value: {HELP['arch']}")
                space, words = words[1], words[2:]
            else:
                space, words = words[0].split("=", 1)[1], words[1:]
            if space not in SPACES:
                raise UsageError(f"%arch: space {space!r} is not available; the Python API parses "
                                 f"{', '.join(SPACES)}")
        if not words:
            raise UsageError(f"%arch needs an integer string: {HELP['arch']}")
        text = " ".join(words)
        results = {}
        for candidate in ([space] if space else SPACES):
            try:
                results[candidate] = Architecture.parse(text, candidate)
            except Exception as error:  # EnasError: what the space says about the string
                results[candidate] = error
        accepted = [name for name, result in results.items() if not isinstance(result, Exception)]
        if space is not None and not accepted:
            raise UsageError(f"%arch: not a {space} architecture: {results[space]}")
        if len(accepted) != 1:
            what = "no space accepts" if not accepted else "several spaces accept"
            print(f"%arch: {what} {text!r}; name one with --space:")
            for name, result in results.items():
                said = f"rejects it: {result}" if isinstance(result, Exception) else f"reads {result.describe()}"
                print(f"  {name}: {said}")
            for result in results.values():
                if not isinstance(result, Exception):
                    result.close()
            if not accepted:
                raise UsageError(f"%arch: {text!r} is not an architecture in any available space")
            return None
        chosen = accepted[0]
        architecture = results[chosen]
        how = "given" if space else "inferred; " + "; ".join(
            f"{name} rejects it" for name in results if name != chosen)
        try:
            print(f"space: {chosen} ({how})")
            print(architecture.describe())
            if architecture.space == "rnn":
                for name in ("rnn", "rnn-v1"):
                    try:
                        form = architecture.to_string(name)
                    except Exception as error:
                        form = f"(not expressible: {error})"
                    print(f"{name + ':':8}{form}")
                print(f"nodes: {architecture.node_count}")
            else:
                print(f"{architecture.space + ':':8}{architecture.to_string()}")
                shape = architecture.to_dict()
                print(f"layers: {len(shape['layers'])}" if "layers" in shape else f"blocks: {len(shape['normal'])}")
        finally:
            architecture.close()

    def magic_search(self, argument):
        if argument.strip() not in ("status", ""):
            raise UsageError(f"unknown %search command {argument.strip()!r}: {HELP['search']}")
        from enas import search as search_module

        search = getattr(search_module, "last_search", lambda: None)()
        if search is None:
            print("no search yet")
            return
        if search.closed:
            print("the last search of this session is closed")
            return
        print(search.summary())

    def magic_help(self, argument):
        print("Magics (a line starting with %; `x = %magic` assigns its value):")
        for line in HELP.values():
            print("  " + line)
