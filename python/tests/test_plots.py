"""Log helpers (series, per-epoch groups, DataFrames) and the pictures: search/retraining curves, comparisons and
architecture drawings through Graphviz or its DOT fallback."""

import json
import os

import pytest

import enas

RECORDS = [
    {"phase": "shared_weights", "epoch": 0, "step": 0, "loss": 2.3, "acc": 0.1},
    {"phase": "shared_weights", "epoch": 0, "step": 1, "loss": 2.1, "acc": 0.2},
    {"phase": "controller", "epoch": 0, "step": 0, "acc": 0.3, "reward": 0.3, "baseline": 0.3, "entropy": 5.0},
    {"phase": "shared_weights", "epoch": 1, "step": 0, "loss": None, "acc": 0.4},   # a non-finite loss logs null
    {"phase": "controller", "epoch": 1, "step": 0, "acc": 0.5, "reward": 0.5, "baseline": 0.32, "entropy": 4.9},
    {"phase": "controller", "epoch": 1, "step": 1, "acc": 0.7, "reward": 0.7, "baseline": 0.35, "entropy": 4.8},
]


def write_log(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_series_and_per_epoch(tmp_path):
    log = write_log(tmp_path / "search.jsonl", RECORDS)
    assert enas.logs.series(log, "loss", phase="shared_weights") == ([0, 1], [2.3, 2.1])
    assert enas.logs.series(RECORDS, "acc", phase="controller") == ([0, 1, 2], [0.3, 0.5, 0.7])
    assert enas.logs.per_epoch(RECORDS, "acc", phase="controller") == {0: [0.3], 1: [0.5, 0.7]}
    assert enas.logs.records(log) == RECORDS
    frame = enas.logs.to_dataframe(log)
    assert list(frame["phase"]).count("controller") == 3


def test_figures_are_written(tmp_path):
    pytest.importorskip("matplotlib")
    for name, figure in [("search.png", enas.plots.search_curves(RECORDS, title="t")),
                         ("retrain.png", enas.plots.training_curves([{"phase": "retrain", "loss": 1.0, "lr": 0.1}] * 3)),
                         ("retrain_valid.png", enas.plots.training_curves(
                             [{"phase": "retrain", "loss": 1.0, "lr": 0.1}] * 3
                             + [{"phase": "retrain_valid", "epoch": e, "valid_ppl": 300.0 / e} for e in (1, 2)])),
                         ("compare.png", enas.plots.compare_searches({"ENAS": RECORDS, "random": RECORDS[:3]}))]:
        path = enas.plots.save(figure, tmp_path / "plots" / name)
        with open(path, "rb") as file:
            assert file.read(8) == b"\x89PNG\r\n\x1a\n"


def test_render_dot_with_and_without_graphviz(tmp_path, monkeypatch):
    cells = enas.Architecture.parse("0 2 0 0 0 4 0 1 0 4 1 1 1 0 0 1 0 2 1 1 "
                                    "1 0 1 0 0 3 0 2 1 1 3 1 1 0 0 4 0 3 1 1", space="micro")
    if enas.plots.has_graphviz():
        svg = enas.plots.render_dot(cells.to_dot(), tmp_path / "cells.svg")
        assert "reduce cell" in open(svg).read()
        with pytest.raises(enas.EnasError, match="dot -Tpng failed"):
            enas.plots.render_dot("digraph {", tmp_path / "broken.png")
        assert "<svg" in enas.plots.show_dot(cells.to_dot()).data
    monkeypatch.setattr(enas.plots.shutil, "which", lambda name: None)
    assert enas.plots.render_dot(cells.to_dot(), tmp_path / "none.png") is None
    assert not os.path.exists(tmp_path / "none.png")
    assert "```dot" in enas.plots.show_dot(cells.to_dot()).data
