"""Long runs (search epochs, model training): the event callback every run installs, progress display, Ctrl-C.

The callback turns each step's JSON event into a dict, updates a progress bar (tqdm when importable: terminals and
notebooks alike through ``tqdm.auto``; otherwise a plain line to stderr every few steps), and calls the user's
callback. Exceptions cannot cross C: one raised inside the callback is stored, the run is asked to stop at the step
boundary, and the exception is re-raised once the library call has returned cleanly.

Ctrl-C: while a run is in progress on the main thread, SIGINT only records the interrupt (Python runs signal handlers
between bytecodes, which during a library call means inside the callback), and the callback then asks the run to stop
at the step boundary; once the call has returned, KeyboardInterrupt is raised as usual. State stays consistent, and
calling run again resumes. (The library's request_cancel is for other threads; it is not used here, so a late Ctrl-C
cannot leave a request pending for the next run.)
"""

import json
import signal
import sys
import threading
import time
import warnings

from .errors import Status, check


class _PlainProgress:
    """One line to stderr every tenth of the run and at its end."""

    def __init__(self, total, description):
        self.description, self.count = description, 0
        self.set_total(total)
        self.start = time.monotonic()

    def set_total(self, total):
        self.total = total
        self.every = max(1, total // 10) if total else 10

    def update(self, event):
        self.count += 1
        if self.count % self.every == 0 or self.count == self.total:
            print(f"{self.description}: {self.count}/{self.total or '?'} {_summary(event)} "
                  f"[{time.monotonic() - self.start:.1f}s]", file=sys.stderr, flush=True)

    def close(self):
        pass


class _TqdmProgress:
    def __init__(self, tqdm, total, description):
        self.bar = tqdm(total=total or None, desc=description, unit="step", leave=True)

    def set_total(self, total):
        self.bar.total = total
        self.bar.refresh()

    def update(self, event):
        self.bar.set_postfix_str(_summary(event), refresh=False)
        self.bar.update(1)

    def close(self):
        self.bar.close()


class _NoProgress:
    def set_total(self, total):
        pass

    def update(self, event):
        pass

    def close(self):
        pass


def _summary(event):
    """The metrics of an event in a few characters: phase, loss, ppl or acc, reward."""
    parts = [event.get("phase", "")]
    for key, label in (("loss", "loss"), ("ppl", "ppl"), ("acc", "acc"), ("reward", "reward")):
        value = event.get(key)
        if isinstance(value, (int, float)):
            parts.append(f"{label}={value:.4g}")
    return " ".join(p for p in parts if p)


def make_progress(progress, total, description):
    if not progress:
        return _NoProgress()
    try:
        with warnings.catch_warnings():
            # In a notebook without ipywidgets, tqdm.auto warns, then uses its text bar: what we want anyway.
            warnings.simplefilter("ignore")
            from tqdm.auto import tqdm
    except ImportError:
        return _PlainProgress(total, description)
    return _TqdmProgress(tqdm, total, description)


class _SigintToCancel:
    """While active on the main thread, SIGINT only records that it happened."""

    def __init__(self):
        self.previous = None
        self.interrupted = False

    def __enter__(self):
        if threading.current_thread() is not threading.main_thread():
            return self
        previous = signal.getsignal(signal.SIGINT)
        if not callable(previous):  # SIG_IGN, SIG_DFL or installed outside Python: leave it alone
            return self
        self.previous = previous
        try:
            signal.signal(signal.SIGINT, self._handle)
        except ValueError:  # not the main interpreter
            self.previous = None
        return self

    def _handle(self, signum, frame):
        self.interrupted = True

    def __exit__(self, *exc_info):
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)

    def reraise(self):
        """After the run: deliver the interrupt to whoever handled SIGINT before (KeyboardInterrupt by default)."""
        if not self.interrupted:
            return
        if self.previous is None or self.previous is signal.default_int_handler:
            raise KeyboardInterrupt
        self.previous(signal.SIGINT, None)


class _Callback:
    """The ctypes callback: JSON → dict → progress and the user's callback; exceptions stored, never raised."""

    def __init__(self, progress, user_callback, sigint, total_from_event):
        self.progress, self.user_callback, self.sigint = progress, user_callback, sigint
        self.total_from_event = total_from_event
        self.total = None
        self.error = None

    def __call__(self, event_json, user):
        try:
            event = json.loads(event_json.decode("utf-8")) if event_json else {}
            # The run's length comes with its events (a recurrent retraining's estimate may grow on the way).
            if self.total_from_event and isinstance(event.get("steps"), int) and event["steps"] != self.total:
                self.total = event["steps"]
                self.progress.set_total(self.total)
            self.progress.update(event)
            if self.user_callback is not None and self.user_callback(event) is False:
                return 1
            return 1 if self.sigint.interrupted else 0
        except BaseException as error:  # KeyboardInterrupt too: it must not be lost inside C
            if self.error is None:
                self.error = error
            return 1


def run_with_events(call, total, progress, callback, description):
    """Runs ``call(c_callback)`` (a raw enas_*_run / _train with the callback filled in) and returns True when it
    completed, False when it was cancelled by ``callback`` returning False or by a request_cancel. Re-raises an
    exception from ``callback`` and KeyboardInterrupt (Ctrl-C) after the call has returned. ``total`` is the number
    of steps for the progress display; None takes it from the first event's "steps"."""
    from . import _ffi

    sigint = _SigintToCancel()
    handler = _Callback(make_progress(progress, total or 0, description), callback, sigint, total is None)
    c_callback = _ffi.EVENT_FN(handler)  # kept alive by this frame for the whole call
    try:
        with sigint:
            status = call(c_callback)
    finally:
        handler.progress.close()
    if handler.error is not None:
        raise handler.error
    sigint.reraise()
    if status == Status.CANCELLED:
        return False
    check(status)
    return True


def check_callback(callback, function):
    if callback is not None and not callable(callback):
        raise TypeError(f"{function}: callback must be callable (event dict → False to stop), got "
                        f"{type(callback).__name__}")

