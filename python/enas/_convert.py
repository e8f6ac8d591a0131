"""Conversions between Python values and the C ABI's arguments: UTF-8 strings, int32 counts, JSON configs, the
two-call pattern for text, and named float32 parameters as numpy arrays."""

import ctypes
import json
import operator
import os
from collections.abc import Mapping

import numpy as np

from . import _ffi
from .errors import EnasError, Status, check


def c_text(value, function, argument):
    """``value`` (a str) as NUL-terminated UTF-8 bytes for a ``const char *`` argument."""
    if not isinstance(value, str):
        raise TypeError(f"{function}: {argument} must be a str, got {type(value).__name__}")
    if "\0" in value:
        raise EnasError(Status.INVALID_ARGUMENT, f"{function}: {argument} contains a NUL character")
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise EnasError(Status.INVALID_ARGUMENT, f"{function}: {argument} is not encodable as UTF-8: {error}") from None


def c_path(value, function, argument="path"):
    """A str or os.PathLike path as bytes for a ``const char *`` argument."""
    try:
        path = os.fspath(value)
    except TypeError:
        raise TypeError(f"{function}: {argument} must be a str or os.PathLike, got {type(value).__name__}") from None
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    return c_text(path, function, argument)


def int32(value, function, argument, minimum=None):
    """``value`` as a Python int in int32 range (and ≥ ``minimum``); ctypes would silently truncate otherwise."""
    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError(f"{function}: {argument} must be an int, got {type(value).__name__}") from None
    low = -(2**31) if minimum is None else minimum
    if not low <= value < 2**31:
        raise EnasError(Status.INVALID_ARGUMENT, f"{function}: {argument} = {value} is outside {low}...{2**31 - 1}")
    return value


def read_text(function, *args):
    """Calls a two-call text function ``function(*args, buf, cap, needed)`` and returns the decoded text. Retries
    when the text grew between the two calls (a state snapshot read while another thread runs the search)."""
    needed = ctypes.c_size_t()
    check(function(*args, None, 0, ctypes.byref(needed)))
    for _ in range(8):
        size = needed.value
        buffer = ctypes.create_string_buffer(size)
        status = function(*args, buffer, size, ctypes.byref(needed))
        if status == Status.INVALID_ARGUMENT and needed.value > size:
            continue
        check(status)
        return buffer.value.decode("utf-8")
    check(status)


def _json_default(value):
    """numpy scalars and arrays in configs become plain JSON values."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON-serializable")


def config_text(config, seed, function):
    """The JSON text of a config given as a dict, a JSON string or None (the defaults), with ``seed`` (when not
    None) overriding its "seed"."""
    if config is None:
        config = {}
    if isinstance(config, (str, bytes)):
        text = config.decode("utf-8", "replace") if isinstance(config, bytes) else config
        if seed is None:
            return c_text(text, function, "config")
        try:
            config = json.loads(text)
        except ValueError as error:
            raise EnasError(Status.FORMAT, f"{function}: config is not valid JSON: {error}") from None
        if not isinstance(config, dict):
            raise EnasError(Status.FORMAT, f"{function}: config must be a JSON object, got {type(config).__name__}")
    elif isinstance(config, Mapping):
        config = dict(config)
    else:
        raise TypeError(f"{function}: config must be a dict, a JSON string or None, got {type(config).__name__}")
    if seed is not None:
        try:
            seed = operator.index(seed)
        except TypeError:
            raise TypeError(f"{function}: seed must be an int, got {type(seed).__name__}") from None
        if not 0 <= seed < 2**64:
            raise EnasError(Status.INVALID_ARGUMENT, f"{function}: seed = {seed} is outside 0...2**64-1")
        config["seed"] = seed
    try:
        text = json.dumps(config, allow_nan=False, default=_json_default)
    except (TypeError, ValueError) as error:
        raise EnasError(Status.INVALID_ARGUMENT, f"{function}: config cannot be written as JSON: {error}") from None
    return c_text(text, function, "config")


class Parameters:
    """Named float32 parameters of one handle through its ``names_json`` / ``shape`` / ``get`` / ``set`` functions."""

    def __init__(self, owner, names_json, shape, get, set_):
        self._owner, self._names_json, self._shape, self._get, self._set = owner, names_json, shape, get, set_

    def names(self):
        return json.loads(read_text(self._names_json, self._owner.handle))

    def shape(self, name, function):
        key = c_text(name, function, "name")
        ndim = ctypes.c_int32()
        check(self._shape(self._owner.handle, key, None, 0, ctypes.byref(ndim)))
        dims = (ctypes.c_int64 * max(1, ndim.value))()
        check(self._shape(self._owner.handle, key, dims, ndim.value, ctypes.byref(ndim)))
        return tuple(dims[: ndim.value])

    def get(self, name, function):
        array = np.empty(self.shape(name, function), dtype=np.float32)
        needed = ctypes.c_size_t()
        buffer = array.ctypes.data_as(ctypes.POINTER(ctypes.c_float)) if array.size else None
        check(self._get(self._owner.handle, c_text(name, function, "name"), buffer, array.size, ctypes.byref(needed)))
        return array

    def all(self, function):
        return {name: self.get(name, function) for name in self.names()}

    def load(self, values, function):
        """Sets every (name, array) of ``values`` after checking all names and shapes first, so a mismatch changes
        nothing."""
        if not isinstance(values, Mapping):
            raise TypeError(f"{function}: values must be a dict of name → array, got {type(values).__name__}")
        arrays = {}
        for name, value in values.items():
            array = np.asarray(value)
            if array.dtype.kind not in "biuf":
                raise TypeError(f"{function}: '{name}' has dtype {array.dtype}; parameters are real numbers")
            expected = self.shape(name, function)
            if array.shape != expected:
                raise EnasError(
                    Status.SHAPE, f"{function}: parameter '{name}' has shape {expected}, got shape {array.shape}")
            arrays[name] = np.ascontiguousarray(array, dtype=np.float32)
        for name, array in arrays.items():
            dims = (ctypes.c_int64 * max(1, array.ndim))(*array.shape)
            check(self._set(self._owner.handle, c_text(name, function, "name"), array.ctypes.data, _ffi.DTYPE_F32,
                            dims, array.ndim))
