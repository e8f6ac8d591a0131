"""Architecture search: ``enas.Search`` owns an ``enas_search *`` (shared weights ω, controller θ, optimizer and
random state) and runs it epoch by epoch with progress, Ctrl-C and resumable cancellation."""

import ctypes
import json
import os
import weakref

from . import _ffi
from ._convert import Parameters, c_path, c_text, config_text, int32, read_text
from ._events import check_callback, run_with_events
from ._handle import Handle
from .architecture import Architecture
from .data import Corpus, Images
from .errors import EnasError, Status, check

# The search spaces, and the data each searches.
_SPACES = {"rnn": "recurrent cells for language models (presets 'paper' and 'enas_lm' via config['preset'])",
           "macro": "macro CNNs over images (per layer an op and skip connections)",
           "micro": "micro CNN cells over images (a normal and a reduction cell)"}


# A weak reference to the search most recently created, loaded, run or derived from (for enas-repl's `%search status`).
_recent = None


def _note_recent(search):
    global _recent
    _recent = weakref.ref(search)


def last_search():
    """The enas.Search most recently created, loaded, run or derived from in this process, or None (weakly held)."""
    return None if _recent is None else _recent()


def _corpus(data, function):
    if not isinstance(data, Corpus):
        raise TypeError(f"{function}: data must be an enas.data corpus (enas.data.PTB(...) or enas.data.Tokens(...)), "
                        f"got {type(data).__name__}")
    return data


def _images(data, function):
    if not isinstance(data, Images):
        raise TypeError(f"{function}: data must be enas.data image data (enas.data.FashionMNIST(), "
                        f"enas.data.CIFAR10(path) or enas.data.Images(...)), got {type(data).__name__}")
    return data


def _with_space(text, space):
    """The config text with its "space" set (the CNN spaces' configs carry it)."""
    config = json.loads(text)
    if config.get("space", space) != space:
        raise EnasError(Status.INVALID_ARGUMENT,
                        f"enas.Search: config['space'] = {config['space']!r} contradicts space = {space!r}")
    config["space"] = space
    return json.dumps(config)


class Search(Handle):
    """An ENAS search over ``space`` on ``data``: "rnn" (recurrent cells) on an enas.data corpus, "macro" or "micro"
    (CNNs) on enas.data image data.

    ``config`` is a dict or a JSON string of the search config (strict snake_case keys over a preset: for "rnn" the
    one named by its "preset" key, "paper" (default) or "enas_lm"; for the CNN spaces that space's "paper" preset);
    ``seed`` overrides its "seed"; ``log`` is a JSON-lines file that receives one record per step. Unknown keys
    raise EnasError naming them.
    """

    _free = _ffi.enas_search_free
    _kind = "search"

    def __init__(self, space="rnn", data=None, config=None, seed=None, log=None):
        function = "enas.Search"
        if space not in _SPACES:
            known = "; ".join(f"'{name}': {what}" for name, what in _SPACES.items())
            raise EnasError(Status.INVALID_ARGUMENT, f"{function}: space = {space!r} is not available (known: {known})")
        text = config_text(config, seed, function)
        out = ctypes.c_void_p()
        if space == "rnn":
            data = _corpus(data, function)
            check(_ffi.enas_search_create(text, data.handle, ctypes.byref(out)))
        else:
            data = _images(data, function)
            check(_ffi.enas_search_create_images(_with_space(text, space).encode(), data.handle, ctypes.byref(out)))
        super().__init__(out.value)
        self.space = space
        self.data = data
        self.last_derived = None
        _note_recent(self)
        if log is not None:
            self.log_path = log

    @classmethod
    def load(cls, path, data):
        """A search restored from a checkpoint written by ``save``; ``data`` must be the data it was searching (a
        corpus for "rnn", image data for the CNN spaces; checked)."""
        out = ctypes.c_void_p()
        if isinstance(data, Images):
            check(_ffi.enas_search_load_images(c_path(path, "enas.Search.load"), data.handle, ctypes.byref(out)))
        else:
            data = _corpus(data, "enas.Search.load")
            check(_ffi.enas_search_load(c_path(path, "enas.Search.load"), data.handle, ctypes.byref(out)))
        search = cls.__new__(cls)
        Handle.__init__(search, out.value)
        search.space = search.state["space"]
        search.data = data
        search.last_derived = None
        _note_recent(search)
        return search

    def save(self, path):
        """Writes the whole search state to ``path`` atomically; ``Search.load`` resumes it exactly."""
        check(_ffi.enas_search_save(self.handle, c_path(path, "enas.Search.save")))

    # ---- Running ------------------------------------------------------------------------------------------------

    def run(self, epochs=None, progress=True, callback=None):
        """Runs ``epochs`` more search epochs (default: the config's remaining ones). Returns True when they all ran,
        False when ``callback(event)`` returned False or ``request_cancel()`` stopped the run at a step boundary
        (calling run again resumes). Ctrl-C stops at the next step boundary, then raises KeyboardInterrupt; an
        exception raised by ``callback`` stops the run the same way and is re-raised.

        ``progress``: a tqdm bar when tqdm is installed, else a line on stderr every tenth of the run; False for
        none. ``callback`` receives each step's event as a dict (phase, epoch, step, loss, ppl, reward, …)."""
        function = "enas.Search.run"
        check_callback(callback, function)
        _note_recent(self)
        raw = -1 if epochs is None else int32(epochs, function, "epochs", minimum=0)
        state = self.state
        count = max(0, state["epochs"] - state["epoch"]) if epochs is None else raw
        total = max(0, count * (state["shared_weights_steps"] + state["controller_steps"]) - state["steps_done_in_epoch"])
        handle = self.handle
        return run_with_events(lambda fn: _ffi.enas_search_run(handle, raw, fn, None), total, progress, callback,
                               "search")

    def request_cancel(self):
        """Asks a run in progress (in another thread) to stop at its next step boundary; thread-safe. A request made
        while no run is in progress stops the next run before its first step."""
        check(_ffi.enas_search_request_cancel(self.handle))

    def derive(self, samples=None):
        """Samples ``samples`` architectures (default: the config's derive_samples), scores each on one validation
        minibatch and returns (best Architecture, its score) — a search metric: validation perplexity for "rnn"
        (lowest kept), validation accuracy for the CNN spaces (highest kept)."""
        raw = 0 if samples is None else int32(samples, "enas.Search.derive", "samples", minimum=1)
        out, ppl = ctypes.c_void_p(), ctypes.c_double()
        check(_ffi.enas_search_derive(self.handle, raw, ctypes.byref(out), ctypes.byref(ppl)))
        architecture = Architecture(out.value)
        _note_recent(self)
        try:
            self.last_derived = (architecture.describe(), ppl.value)  # (description, validation metric) for the REPL
        except Exception:
            pass
        return architecture, ppl.value

    # ---- State ----------------------------------------------------------------------------------------------------

    @property
    def history(self):
        """The log records so far: one dict per step (and per derive sample), as the events."""
        return json.loads(read_text(_ffi.enas_search_history_json, self.handle))

    @property
    def state(self):
        """Progress and set-up as a dict: epoch, epochs, phase, step, steps per phase, parameter counts, threads,
        log_path, running and the full config. Safe to read from another thread during a run."""
        return json.loads(read_text(_ffi.enas_search_state_json, self.handle))

    @property
    def config(self):
        return self.state["config"]

    @property
    def log_path(self):
        """The JSON-lines log file, or None. Setting it starts a new file there (truncating one that exists);
        setting None stops logging."""
        return self.state["log_path"]

    @log_path.setter
    def log_path(self, path):
        raw = None if path is None else c_path(path, "enas.Search.log_path")
        check(_ffi.enas_search_set_log(self.handle, raw))

    # ---- Parameters -----------------------------------------------------------------------------------------------

    @property
    def _parameters(self):
        return Parameters(self, _ffi.enas_search_parameter_names_json, _ffi.enas_search_parameter_shape,
                          _ffi.enas_search_get_parameter, _ffi.enas_search_set_parameter)

    def parameter_names(self):
        """Sorted names of ω (the shared weights) and θ (the controller's, starting with "controller.")."""
        return self._parameters.names()

    def parameters(self):
        """{name: float32 numpy copy} of ω and θ (docs/parameters.md gives names, shapes and layouts)."""
        return self._parameters.all("enas.Search.parameters")

    def load_parameters(self, values):
        """Replaces parameters by name from {name: array}; every name and shape is checked before anything changes
        (EnasError otherwise). Optimizer state is kept."""
        self._parameters.load(values, "enas.Search.load_parameters")

    def summary(self):
        """A few lines for people: state and progress, the last step's metrics, the best sampled child so far (the
        highest validation accuracy, or lowest perplexity, among the controller's samples) and the last derived
        architecture. enas-repl shows a Search this way; ``%search status`` prints it."""
        state = self.state
        running = "running" if state.get("running") else "stopped" if state["epoch"] < state["epochs"] else "finished"
        lines = [f"search ({state.get('space', self.space)}, strategy {state.get('strategy')}): {running}, "
                 f"epoch {state['epoch']}/{state['epochs']}, phase {state['phase']}, step {state['step']} "
                 f"(steps per epoch: {state.get('shared_weights_steps')} shared-weights, "
                 f"{state.get('controller_steps')} controller)"]
        history = self.history
        event = next((record for record in reversed(history)
                      if any(key in record for key in ("loss", "ppl", "acc", "reward"))), None)
        if event is None:
            lines.append("last event: none yet")
        else:
            metrics = ", ".join(f"{key} {event[key]:.4g}" for key in ("loss", "ppl", "acc", "reward")
                                if isinstance(event.get(key), (int, float)))
            lines.append(f"last event: {event.get('phase')} epoch {event.get('epoch')} step {event.get('step')}: "
                         f"{metrics}")
        metric = "ppl" if self.space == "rnn" else "acc"
        sampled = [r for r in history if r.get("phase") in ("controller", "derive") and isinstance(r.get(metric), (int, float))]
        if sampled:
            pick = min if metric == "ppl" else max
            best = pick(sampled, key=lambda r: r[metric])
            lines.append(f"best sampled so far: validation {metric} {best[metric]:.4g} (epoch {best.get('epoch')}, "
                         f"{best.get('phase')}): {best.get('architecture')}")
        if self.last_derived:
            lines.append(f"derived: {self.last_derived[0]} (validation {metric} {self.last_derived[1]:.4g})")
        else:
            lines.append("derived: none yet (search.derive())")
        return "\n".join(lines)

    def _repl_repr_(self):
        return "enas.Search(closed)" if self.closed else self.summary()

    def __repr__(self):
        if self.closed:
            return "enas.Search(closed)"
        s = self.state
        return (f"enas.Search(space={self.space!r}, strategy={s['strategy']!r}, epoch={s['epoch']}/{s['epochs']}, "
                f"phase={s['phase']!r}, step={s['step']})")


__all__ = ["Search"]
