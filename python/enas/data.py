"""Data: corpora for language modelling (Penn Treebank from its folder, or token id streams from numpy arrays) and
image data for the CNN spaces (Fashion-MNIST, CIFAR-10, or numpy image arrays of any shape and class count)."""

import ctypes
import operator
import os

import numpy as np

from . import _ffi
from ._convert import c_path
from ._handle import Handle
from .errors import EnasError, Status, check


def _subset(data, c_function, cls, counts, function):
    """A new ``cls`` handle made by the C subset function from the first counts (train, valid, test) of each split:
    each ≥ 1, or None for the whole split (-1 in C)."""
    raw = []
    for name, n in zip(("train", "valid", "test"), counts):
        if n is None:
            raw.append(-1)
        elif isinstance(n, bool) or operator.index(n) < 1:
            raise EnasError(Status.INVALID_ARGUMENT, f"{function}: {name} = {n!r} must be ≥ 1 or None")
        else:
            raw.append(operator.index(n))
    out = ctypes.c_void_p()
    check(c_function(data.handle, *raw, ctypes.byref(out)))
    subset = cls.__new__(cls)
    Handle.__init__(subset, out.value)
    return subset


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

    def subset(self, train=None, valid=None, test=None):
        """A new corpus with the first ``train``, ``valid`` and ``test`` tokens of each split (None: all of it) over
        the same vocabulary — for runs at a small budget (a retraining passes over its whole training split)."""
        return _subset(self, _ffi.enas_corpus_subset, Corpus, (train, valid, test), "enas.data.Corpus.subset")

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


def _image_array(x, name):
    """``x`` as a contiguous (N, C, H, W) uint8 or float32 array (a (N, H, W) array gains C = 1), and its dtype code."""
    array = np.asarray(x)
    if array.ndim == 3:
        array = array[:, None, :, :]
    if array.ndim != 4:
        raise EnasError(Status.SHAPE, f"enas.data.Images: {name} must be (N, C, H, W) or (N, H, W), got shape {array.shape}")
    if array.dtype == np.uint8:
        return np.ascontiguousarray(array), _ffi.DTYPE_U8
    if array.dtype.kind not in "fiu":
        raise TypeError(f"enas.data.Images: {name} must hold numbers, got dtype {array.dtype}")
    return np.ascontiguousarray(array, dtype=np.float32), _ffi.DTYPE_F32


def _label_array(y, count, name):
    array = np.asarray(y)
    if array.dtype.kind not in "iu":
        raise TypeError(f"enas.data.Images: {name} must hold integer labels, got dtype {array.dtype}")
    if array.shape != (count,):
        raise EnasError(Status.SHAPE, f"enas.data.Images: {name} must have shape ({count},), got {array.shape}")
    return np.ascontiguousarray(array, dtype=np.int64)


class Images(Handle):
    """Labelled images for the CNN spaces (an ``enas_images *``): train/validation/test splits, normalized per channel
    with the training split's statistics. From numpy: ``x_*`` (N, C, H, W) or (N, H, W), uint8 (0…255) or float;
    ``y_*`` integer labels in 0 ≤ y < ``classes`` (default: max label + 1). The last ``validation`` training images
    form the validation split. Any size and class count; no augmentation for caller arrays. The arrays are copied."""

    _free = _ffi.enas_images_free
    _kind = "images"

    def __init__(self, x_train, y_train, x_test, y_test, validation=5000, classes=None):
        xtr, code = _image_array(x_train, "x_train")
        xte, code_test = _image_array(x_test, "x_test")
        if code != code_test:
            xtr, xte, code = xtr.astype(np.float32), xte.astype(np.float32), _ffi.DTYPE_F32
        ytr = _label_array(y_train, xtr.shape[0], "y_train")
        yte = _label_array(y_test, xte.shape[0], "y_test")
        if classes is None:
            classes = int(max(ytr.max(initial=0), yte.max(initial=0))) + 1
        train_shape = (ctypes.c_int64 * 4)(*xtr.shape)
        test_shape = (ctypes.c_int64 * 4)(*xte.shape)
        out = ctypes.c_void_p()
        check(_ffi.enas_images_from_arrays(xtr.ctypes.data, train_shape, ytr.ctypes.data, xte.ctypes.data, test_shape,
                                           yte.ctypes.data, code, _ffi.DTYPE_I64, operator.index(classes),
                                           operator.index(validation), ctypes.byref(out)))
        super().__init__(out.value)

    def _info(self):
        info = (ctypes.c_int64 * 8)()
        check(_ffi.enas_images_info(self.handle, info))
        return list(info)

    @property
    def lengths(self):
        """Images per split: {"train": …, "valid": …, "test": …}."""
        train, valid, test = self._info()[:3]
        return {"train": train, "valid": valid, "test": test}

    @property
    def shape(self):
        """(C, H, W) of one image."""
        return tuple(self._info()[3:6])

    @property
    def classes(self):
        return self._info()[6]

    @property
    def augmentation(self):
        """The training augmentation: {"pad_crop": bool, "horizontal_flip": bool}."""
        flags = self._info()[7]
        return {"pad_crop": bool(flags & 1), "horizontal_flip": bool(flags & 2)}

    def arrays(self, split="test"):
        """(x, y) copies of the split "train", "valid" or "test": x float32 (N, C, H, W) on the pixel scale the
        library computes with (uint8 sources as value/255, not normalized — what ``Model.predict`` takes), y int64."""
        counts = self.lengths
        if split not in counts:
            raise EnasError(Status.INVALID_ARGUMENT,
                            f"enas.data.Images.arrays: split must be 'train', 'valid' or 'test', got {split!r}")
        n = counts[split]
        x = np.empty((n, *self.shape), dtype=np.float32)
        y = np.empty(n, dtype=np.int64)
        check(_ffi.enas_images_read_split(self.handle, split.encode(), x.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
                                          x.size, y.ctypes.data_as(ctypes.POINTER(ctypes.c_int64)), y.size))
        return x, y

    def subset(self, train=None, valid=None, test=None):
        """New image data with the first ``train``, ``valid`` and ``test`` images of each split (None: all of it),
        the same augmentation, normalized with the smaller training split's statistics — for runs at a small budget."""
        return _subset(self, _ffi.enas_images_subset, Images, (train, valid, test), "enas.data.Images.subset")

    def __repr__(self):
        if self.closed:
            return f"enas.data.{type(self).__name__}(closed)"
        train, valid, test, c, h, w, classes, _ = self._info()
        return (f"enas.data.{type(self).__name__}(train={train}, valid={valid}, test={test}, shape=({c}, {h}, {w}), "
                f"classes={classes})")


class FashionMNIST(Images):
    """Fashion-MNIST (1×28×28, 10 classes) from ``path``, by default Debian's ``dataset-fashion-mnist`` location
    ``/usr/share/datasets/fashion-mnist``; the last ``validation`` of the 60,000 training images validate. Training
    batches get a 2-pixel pad + crop and horizontal flips."""

    # Label i's garment (Zalando's list).
    CLASS_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                   "Ankle boot")

    def __init__(self, path=None, validation=5000):
        self.path = None if path is None else os.fspath(path)
        out = ctypes.c_void_p()
        directory = None if path is None else c_path(path, "enas.data.FashionMNIST")
        check(_ffi.enas_images_load_fashion_mnist(directory, operator.index(validation), ctypes.byref(out)))
        Handle.__init__(self, out.value)


class CIFAR10(Images):
    """CIFAR-10's binary batches (``data_batch_1..5.bin``, ``test_batch.bin``) from ``path``; the last ``validation``
    training images validate (the authors' 5,000). Training batches get a 4-pixel pad + crop and horizontal flips."""

    def __init__(self, path, validation=5000):
        self.path = os.fspath(path)
        out = ctypes.c_void_p()
        check(_ffi.enas_images_load_cifar10(c_path(path, "enas.data.CIFAR10"), operator.index(validation),
                                            ctypes.byref(out)))
        Handle.__init__(self, out.value)


__all__ = ["Corpus", "PTB", "Tokens", "Images", "FashionMNIST", "CIFAR10"]
