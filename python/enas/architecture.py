"""Architectures: the typed value behind an ``enas_arch *`` — a recurrent cell, a macro CNN or micro CNN cells — read
from the authors' integer strings or JSON and written back as strings, JSON, Graphviz DOT or one line of text.

Recurrent cells have two integer-string forms (DESIGN.md §2), named by ``space``:

- ``"rnn"``: google-research enas_lm's ``p1 f1 … pN fN`` (f: 0 tanh, 1 ReLU, 2 sigmoid, 3 identity); node 0 is tanh
  and the output averages all nodes. Published cell: ``"0 2 1 0 2 1 2 2 4 0 5 0 3 2 6 2"``.
- ``"rnn-v1"``: melodyguan/enas's ``f0 p1 f1 … pN fN`` (f: 0 tanh, 1 ReLU, 2 identity, 3 sigmoid); the output
  averages the loose ends. The paper's PTB cell: ``"0 0 0 1 1 2 1 2 0 2 0 5 1 1 0 6 1 8 1 8 1 8 1"``.

CNN architectures use their space's name:

- ``"macro"``: per layer i its op (0 conv3x3, 1 sep_conv3x3, 2 conv5x5, 3 sep_conv5x5, 4 avg_pool3x3, 5 max_pool3x3)
  then i skip bits (``|`` may separate layers).
- ``"micro"``: the normal then the reduction cell, per block ``idx1 op1 idx2 op2`` (ops 0 sep_conv3x3, 1 sep_conv5x5,
  2 avg_pool3x3, 3 max_pool3x3, 4 identity). The paper's cells: normal ``"0 2 0 0 0 4 0 1 0 4 1 1 1 0 0 1 0 2 1 1"``,
  reduce ``"1 0 1 0 0 3 0 2 1 1 3 1 1 0 0 4 0 3 1 1"``.
"""

import ctypes
import json

from . import _ffi
from ._convert import c_text, read_text
from ._handle import Handle
from .errors import check

SPACES = ("rnn", "rnn-v1", "macro", "micro")


class Architecture(Handle):
    """An immutable, validated architecture of one space. ``str()`` and ``repr()`` give its one-line description."""

    _free = _ffi.enas_arch_free
    _kind = "architecture"

    @classmethod
    def parse(cls, text, space="rnn"):
        """Parses an integer string in the form ``space`` ("rnn", "rnn-v1", "macro" or "micro"); a malformed string
        raises EnasError."""
        out = ctypes.c_void_p()
        check(_ffi.enas_arch_parse(c_text(text, "enas.Architecture.parse", "text"),
                                   c_text(space, "enas.Architecture.parse", "space"), ctypes.byref(out)))
        return cls(out.value)

    @classmethod
    def from_json(cls, data):
        """Reads the JSON form, given as text or as a dict: a cell {"first_activation": "tanh", "nodes": [{"previous":
        0, "activation": "relu"}, …], "output": "all_nodes" | "loose_ends"}, or a CNN {"space": "macro", "layers":
        […]} / {"space": "micro", "normal": […], "reduce": […]}."""
        if isinstance(data, dict):
            data = json.dumps(data)
        out = ctypes.c_void_p()
        check(_ffi.enas_arch_from_json(c_text(data, "enas.Architecture.from_json", "data"), ctypes.byref(out)))
        return cls(out.value)

    @property
    def space(self):
        """The architecture's space: "rnn", "macro" or "micro"."""
        return read_text(_ffi.enas_arch_space, self.handle)

    def to_string(self, space=None):
        """The integer string in the form ``space`` (default: "rnn" for cells, the CNN's own space otherwise). The
        "rnn" form cannot express a node-0 activation other than tanh: that raises EnasError rather than changing the
        cell. Neither cell form carries the output mode."""
        if space is None:
            space = self.space
        return read_text(_ffi.enas_arch_to_string, self.handle, c_text(space, "enas.Architecture.to_string", "space"))

    def to_json(self):
        """The JSON form (keys sorted, compact)."""
        return read_text(_ffi.enas_arch_to_json, self.handle)

    def to_dict(self):
        return json.loads(self.to_json())

    def to_dot(self, cell=None):
        """A Graphviz digraph (render with ``dot -Tsvg`` or the graphviz package): the recurrent cell, the macro
        network, or both micro cells as two clusters; ``cell="normal"`` or ``"reduce"`` draws one micro cell."""
        if cell is None:
            return read_text(_ffi.enas_arch_to_dot, self.handle)
        return read_text(_ffi.enas_arch_to_dot_cell, self.handle, c_text(cell, "enas.Architecture.to_dot", "cell"))

    def describe(self):
        """One line: each node with the node it reads and its activation, then the averaged nodes."""
        return read_text(_ffi.enas_arch_describe, self.handle)

    @property
    def node_count(self):
        """N, counting node 0 (recurrent cells)."""
        return len(self.to_dict()["nodes"]) + 1

    def __str__(self):
        return self.describe()

    def __repr__(self):
        return "enas.Architecture(closed)" if self.closed else self.describe()

    def __eq__(self, other):
        if not isinstance(other, Architecture):
            return NotImplemented
        return self.to_json() == other.to_json()

    def __hash__(self):
        return hash(self.to_json())
