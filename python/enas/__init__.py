"""enas: Efficient Neural Architecture Search — Python bindings to libenas.so (numpy in, numpy out).

All computation runs in the Swift core behind libenas.so; this package converts arrays, owns handles and raises
``enas.EnasError`` for every failing call.

    corpus = enas.data.PTB()                                   # or enas.data.Tokens(train, valid, test, vocab_size)
    search = enas.Search(space="rnn", data=corpus, config={"preset": "enas_lm", "epochs": 2}, log="runs/s.jsonl")
    search.run()                                               # tqdm progress; Ctrl-C stops at a step boundary
    cell, valid_ppl = search.derive()
    model = enas.Model(cell, data=corpus, config={"epochs": 10})
    model.train(); model.evaluate("test")
"""

import os

# numpy bundles OpenBLAS, whose idle worker threads spin and steal the cores our kernels run on. The thread count is
# read when numpy loads, so set it first; an explicit setting by the user wins (DESIGN.md §9).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from . import _ffi  # noqa: E402  (after the environment is set)

if _ffi.enas_abi_version() != _ffi.ABI_VERSION:
    raise ImportError(
        f"enas: {_ffi.library_path} has ABI version {_ffi.enas_abi_version()}, but this package expects "
        f"{_ffi.ABI_VERSION}; rebuild the library or reinstall the package from the same checkout"
    )

from . import data, logs, plots  # noqa: E402
from .architecture import Architecture  # noqa: E402
from .errors import EnasError, Status  # noqa: E402
from .linalg import gemm, matmul  # noqa: E402
from .model import Model  # noqa: E402
from .runtime import abi_version, get_num_threads, library_path, set_num_threads, version  # noqa: E402
from .search import Search  # noqa: E402
from .tensor import Tensor  # noqa: E402

ABI_VERSION = _ffi.ABI_VERSION
__version__ = "0.1.0"

__all__ = [
    "ABI_VERSION",
    "Architecture",
    "EnasError",
    "Model",
    "Search",
    "Status",
    "Tensor",
    "abi_version",
    "gemm",
    "get_num_threads",
    "library_path",
    "matmul",
    "set_num_threads",
    "data",
    "logs",
    "plots",
    "version",
]
