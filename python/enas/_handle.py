"""The ownership layer: one object owns one library handle and frees it exactly once."""

from . import _ffi
from .errors import EnasError, Status, check


class Handle:
    """Owns one handle, freed by ``close()`` (idempotent), by leaving a ``with`` block, or when garbage-collected.

    Subclasses set ``_free`` to the raw ``enas_<object>_free`` function and ``_kind`` to the object's name.
    """

    _free = None
    _kind = "handle"

    def __init__(self, value):
        self._value = value

    @property
    def handle(self):
        """The raw handle for ``_ffi`` calls; using a closed object raises EnasError (INVALID_HANDLE)."""
        if self._value is None:
            raise EnasError(Status.INVALID_HANDLE, f"enas.{type(self).__name__}: the {self._kind} is closed")
        return self._value

    @property
    def closed(self):
        return self._value is None

    def close(self):
        """Frees the handle; later calls do nothing."""
        value, self._value = self._value, None
        if value is not None:
            check(type(self)._free(value))

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def __del__(self):
        # At interpreter exit the module globals may already be gone; the process is ending anyway.
        if getattr(self, "_value", None) is not None and _ffi is not None and _ffi.lib is not None:
            try:
                self.close()
            except Exception:
                pass
