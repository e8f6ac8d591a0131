"""EnasError and the status codes of enas.h; ``check(status)`` turns a failing status into an EnasError."""

import enum

from . import _ffi


class Status(enum.IntEnum):
    """enas.h's status codes (ENAS_OK, ENAS_ERR_*)."""

    OK = 0
    INVALID_ARGUMENT = 1
    INVALID_HANDLE = 2
    SHAPE = 3
    IO = 4
    FORMAT = 5
    NUMERIC = 6
    CANCELLED = 7
    INTERNAL = 8


class EnasError(Exception):
    """A failing libenas call: ``code`` is its status (a ``Status`` when known), ``message`` the library's text,
    which names the function, the argument and its value."""

    def __init__(self, code, message):
        try:
            code = Status(code)
        except ValueError:
            pass
        self.code = code
        self.message = message
        super().__init__(code, message)

    def __str__(self):
        name = self.code.name if isinstance(self.code, Status) else f"status {self.code}"
        return f"[{name}] {self.message}"


def check(status):
    """Raises EnasError with this thread's last error unless ``status`` is ENAS_OK."""
    if status != Status.OK:
        message = _ffi.enas_last_error()
        raise EnasError(status, message.decode("utf-8", "replace") if message else "")
