"""Architectures: both published recurrent cells parse and round-trip through their strings and JSON, print as one
line and as DOT, and every malformed input raises EnasError."""

import json

import pytest

import enas
from enas import EnasError, Status
from conftest import ENAS_LM_CELL, PAPER_CELL


def test_enas_lm_cell_round_trips():
    cell = enas.Architecture.parse(ENAS_LM_CELL)  # space="rnn" by default
    assert cell.to_string() == cell.to_string(space="rnn") == ENAS_LM_CELL
    assert cell.node_count == 9
    line = str(cell)
    assert "\n" not in line and repr(cell) == line
    assert line.startswith("0:tanh 1←0:sigmoid") and line.endswith("output = mean(all nodes 1, 2, 3, 4, 5, 6, 7, 8)")
    again = enas.Architecture.from_json(cell.to_json())
    assert again == cell and hash(again) == hash(cell)
    assert enas.Architecture.from_json(cell.to_dict()) == cell
    # In the first code's form: f0 first, activation codes renumbered (sigmoid 2 → 3).
    assert cell.to_string("rnn-v1") == "0 0 3 1 0 2 1 2 3 4 0 5 0 3 3 6 3"


def test_paper_cell_round_trips():
    cell = enas.Architecture.parse(PAPER_CELL, space="rnn-v1")
    assert cell.to_string("rnn-v1") == PAPER_CELL
    assert cell.node_count == 12
    assert "loose ends" in str(cell)
    assert cell.to_dict()["output"] == "loose_ends" and cell.to_dict()["first_activation"] == "tanh"
    assert enas.Architecture.from_json(cell.to_json()) == cell
    # The same nodes in the enas_lm form read back with enas_lm's convention (all nodes averaged): not equal.
    as_lm = enas.Architecture.parse(cell.to_string("rnn"), space="rnn")
    assert as_lm != cell
    assert as_lm.to_dict()["nodes"] == cell.to_dict()["nodes"]


def test_dot():
    dot = enas.Architecture.parse(ENAS_LM_CELL).to_dot()
    assert dot.startswith("digraph") and dot.rstrip().endswith("}")
    assert "x_t -> n0;" in dot and "n8 -> avg;" in dot and "n6 -> n8;" in dot


def test_json_form():
    cell = enas.Architecture.parse("0 1 1 3")
    assert json.loads(cell.to_json()) == {
        "first_activation": "tanh",
        "nodes": [{"activation": "relu", "previous": 0}, {"activation": "identity", "previous": 1}],
        "output": "all_nodes",
    }


def test_first_activation_the_lm_form_cannot_express():
    cell = enas.Architecture.parse("1 0 0", space="rnn-v1")  # f0 = ReLU
    assert cell.to_string("rnn-v1") == "1 0 0"
    with pytest.raises(EnasError) as caught:
        cell.to_string("rnn")
    assert caught.value.code == Status.INVALID_ARGUMENT and "tanh" in caught.value.message


@pytest.mark.parametrize("text,space,status,fragment", [
    ("0 2 1 x", "rnn", Status.FORMAT, "'x'"),
    ("", "rnn", Status.FORMAT, "got 0"),
    ("0 2 1", "rnn", Status.FORMAT, "got 3"),
    ("0 2 2 0", "rnn", Status.FORMAT, "node 2 reads node 2"),
    ("0 9", "rnn", Status.FORMAT, "activation code 9"),
    ("0 0 0 0", "rnn-v1", Status.FORMAT, "odd count"),
    ("-1 0", "rnn", Status.FORMAT, "node 1 reads node -1"),
    (ENAS_LM_CELL, "cnn", Status.INVALID_ARGUMENT, "space = 'cnn' is not a known architecture form"),
    ("0 2\x00 1 0", "rnn", Status.INVALID_ARGUMENT, "NUL"),
    ("0 \udcff 1", "rnn", Status.INVALID_ARGUMENT, "UTF-8"),
])
def test_bad_strings(text, space, status, fragment):
    with pytest.raises(EnasError) as caught:
        enas.Architecture.parse(text, space=space)
    assert caught.value.code == status and fragment in str(caught.value)


@pytest.mark.parametrize("data,fragment", [
    ("{", "not valid JSON"),
    ("[]", "must be a JSON object"),
    ({"first_activation": "tanh", "nodes": [{"previous": 0, "activation": "relu"}]}, "'output' is missing"),
    ({"first_activation": "tanh", "nodes": [{"previous": 0, "activation": "swish"}], "output": "all_nodes"},
     "nodes.0.activation"),
    ({"first_activation": "tanh", "nodes": [{"previous": 1, "activation": "relu"}], "output": "all_nodes"},
     "node 1 reads node 1"),
    ({"first_activation": "tanh", "nodes": [], "output": "all_nodes"}, "at least one node"),
    ({"first_activation": "tanh", "nodes": [{"previous": 0, "activation": "relu", "x": 1}], "output": "all_nodes"},
     "unknown key 'nodes[0].x'"),
    ({"first_activation": "tanh", "nodes": [], "output": "all_nodes", "extra": 1}, "unknown key 'extra'"),
])
def test_bad_json(data, fragment):
    with pytest.raises(EnasError) as caught:
        enas.Architecture.from_json(data)
    assert caught.value.code == Status.FORMAT and fragment in str(caught.value)
    assert "enas_arch_from_json" in caught.value.message


def test_wrong_types_and_closed_handles():
    with pytest.raises(TypeError):
        enas.Architecture.parse(123)
    with pytest.raises(TypeError):
        enas.Architecture.parse(ENAS_LM_CELL, space=None)
    cell = enas.Architecture.parse(ENAS_LM_CELL)
    cell.close()
    assert repr(cell) == "enas.Architecture(closed)"
    with pytest.raises(EnasError) as caught:
        cell.to_json()
    assert caught.value.code == Status.INVALID_HANDLE
    with enas.Architecture.parse(ENAS_LM_CELL) as other:
        assert other.node_count == 9
    assert other.closed
