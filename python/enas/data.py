"""Corpora for language modelling: Penn Treebank from its folder, or token id streams from numpy arrays."""

import ctypes
import operator
import os

import numpy as np

from . import _ffi
from ._convert import c_path
from ._handle import Handle
from .errors import EnasError, Status, check


class Corpus(Handle):
    """Train/valid/test token streams over one vocabulary (an ``enas_corpus *``), owned by the library. Searches and
    models keep their own reference: closing a corpus does not affect them."""

    _free = _ffi.enas_corpus_free
    _kind = "corpus"

    def _info(self):
        values = [ctypes.c_int64() for _ in range(4)]
        check(_ffi.enas_corpus_info(self.handle, *(ctypes.byref(v) for v in values)))
        return [v.value for v in values]

    @property
    def vocab_size(self):
        return self._info()[0]

    @property
    def lengths(self):
        """Tokens per split: {"train": …, "valid": …, "test": …}."""
        _, train, valid, test = self._info()
        return {"train": train, "valid": valid, "test": test}

    def __repr__(self):
        if self.closed:
            return f"enas.data.{type(self).__name__}(closed)"
        vocab, train, valid, test = self._info()
        return f"enas.data.{type(self).__name__}(vocab_size={vocab}, train={train}, valid={valid}, test={test})"


class PTB(Corpus):
    """Mikolov's Penn Treebank (``ptb.train.txt``, ``ptb.valid.txt``, ``ptb.test.txt``) from ``path``, by default
    ``$ENAS_DATA/ptb``. The vocabulary (10,000 words with ``<eos>``) comes from the training split."""

    def __init__(self, path=None):
        if path is None:
            root = os.environ.get("ENAS_DATA")
            if not root:
                raise EnasError(Status.INVALID_ARGUMENT,
                                "enas.data.PTB: no path given and $ENAS_DATA is not set (pass the folder holding "
                                "ptb.train.txt, or set ENAS_DATA to its parent)")
            path = os.path.join(root, "ptb")
        self.path = os.fspath(path)
        out = ctypes.c_void_p()
        check(_ffi.enas_corpus_load_ptb(c_path(path, "enas.data.PTB"), ctypes.byref(out)))
        super().__init__(out.value)


def _token_array(values, split):
    """``values`` as a contiguous 1-D int32 or int64 array, and its ENAS_DTYPE_* code."""
    array = np.asarray(values)
    if array.dtype.kind not in "iu":
        raise TypeError(f"enas.data.Tokens: {split} must hold integer token ids, got dtype {array.dtype}")
    if array.ndim != 1:
        raise EnasError(Status.SHAPE, f"enas.data.Tokens: {split} must be 1-D, got shape {array.shape}")
    native = array.dtype.newbyteorder("=")
    if native == np.dtype(np.int32):
        return np.ascontiguousarray(array, dtype=np.int32), _ffi.DTYPE_I32
    if native == np.dtype(np.int64):
        return np.ascontiguousarray(array, dtype=np.int64), _ffi.DTYPE_I64
    if native == np.dtype(np.uint64) and array.size and array.max() > np.iinfo(np.int64).max:
        raise EnasError(Status.INVALID_ARGUMENT, f"enas.data.Tokens: {split} holds ids beyond int64")
    return np.ascontiguousarray(array, dtype=np.int64), _ffi.DTYPE_I64


class Tokens(Corpus):
    """A corpus from token id streams (1-D integer arrays; ids in 0 ≤ id < vocab_size). The ids are copied."""

    def __init__(self, train, valid, test, vocab_size):
        arrays = [_token_array(values, split) for values, split in ((train, "train"), (valid, "valid"), (test, "test"))]
        # One dtype code for all three: widen to int64 when they differ.
        if len({code for _, code in arrays}) > 1:
            arrays = [(a.astype(np.int64), _ffi.DTYPE_I64) for a, _ in arrays]
        try:
            vocab_size = operator.index(vocab_size)
        except TypeError:
            raise TypeError(f"enas.data.Tokens: vocab_size must be an int, got {type(vocab_size).__name__}") from None
        if not -(2**63) <= vocab_size < 2**63:
            raise EnasError(Status.INVALID_ARGUMENT, f"enas.data.Tokens: vocab_size = {vocab_size} does not fit int64")
        out = ctypes.c_void_p()
        (tr, code), (va, _), (te, _) = arrays
        check(_ffi.enas_corpus_from_tokens(tr.ctypes.data, tr.size, va.ctypes.data, va.size, te.ctypes.data, te.size,
                                           code, vocab_size, ctypes.byref(out)))
        super().__init__(out.value)


__all__ = ["Corpus", "PTB", "Tokens"]
