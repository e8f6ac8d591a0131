"""Pictures of runs: matplotlib curves from the JSON-lines logs (``enas.logs``) and architecture drawings from the DOT
text (``Architecture.to_dot``) through Graphviz's ``dot`` when it is installed.

    fig = enas.plots.search_curves("runs/quickstart/search.jsonl")     # or search.history
    fig.savefig("search.png")
    enas.plots.render_dot(cells.to_dot(), "cells.png")                 # None when Graphviz is missing
    enas.plots.show_dot(cells.to_dot())                                # in a notebook: SVG, or the DOT text

matplotlib is imported on first use (``pip install matplotlib``), so ``import enas`` never needs it.
"""

import os
import shutil
import subprocess

from . import logs
from .errors import EnasError, Status


def _pyplot():
    try:
        import matplotlib.pyplot as pyplot  # without a display, matplotlib falls back to Agg by itself
    except ImportError:
        raise ImportError("enas.plots needs matplotlib (pip install matplotlib); enas.logs gives the numbers") from None
    return pyplot


def _smoothed(values, window):
    """The running mean over the last ``window`` values (noisy per-step losses read better smoothed)."""
    out, total = [], 0.0
    for i, value in enumerate(values):
        total += value
        if i >= window:
            total -= values[i - window]
        out.append(total / min(i + 1, window))
    return out


def _noisy_curve(ax, steps, values):
    """A per-step series drawn faint, with its running mean (over a fiftieth of the run) on top."""
    if not values:
        return
    ax.plot(steps, values, color="tab:blue", alpha=0.25, linewidth=0.8, label="per step")
    ax.plot(steps, _smoothed(values, max(1, len(values) // 50)), color="tab:blue", label="smoothed")
    ax.legend()


def _metric(records):
    """"acc" for image searches, "ppl" for recurrent ones (whichever the controller records carry)."""
    for record in records:
        if record.get("phase") == "controller":
            return "acc" if "acc" in record else "ppl"
    return "acc" if any("acc" in r for r in records) else "ppl"


_METRIC_LABEL = {"acc": "validation accuracy", "ppl": "validation perplexity"}


def search_curves(records, title=None):
    """A 2×2 matplotlib figure of a search: phase 1's training loss (raw and smoothed), the sampled children's
    validation metric, the controller's reward with its moving-average baseline, and the sampling entropy, each
    against its phase's step count. ``records``: a list of log dicts (``Search.history``) or a JSON-lines path."""
    records = logs.records(records)
    pyplot = _pyplot()
    figure, axes = pyplot.subplots(2, 2, figsize=(11, 7))
    metric = _metric(records)

    ax = axes[0][0]
    _noisy_curve(ax, *logs.series(records, "loss", phase="shared_weights"))
    ax.set(title="shared weights ω: training loss", xlabel="phase-1 step", ylabel="cross-entropy (nats)")

    ax = axes[0][1]
    steps, values = logs.series(records, metric, phase="controller")
    if values:
        ax.plot(steps, values, color="tab:green", marker="." if len(values) < 60 else None)
    ax.set(title=f"sampled children: {_METRIC_LABEL[metric]}", xlabel="phase-2 step", ylabel=metric)
    if metric == "ppl" and values and max(values) > 10 * min(values):
        ax.set_yscale("log")

    ax = axes[1][0]
    steps, reward = logs.series(records, "reward", phase="controller")
    if reward:
        ax.plot(steps, reward, color="tab:orange", alpha=0.6, label="reward")
        baseline_steps, baseline = logs.series(records, "baseline", phase="controller")
        if baseline:
            ax.plot(baseline_steps, baseline, color="black", label="baseline")
        ax.legend()
    ax.set(title="controller θ: REINFORCE reward", xlabel="phase-2 step", ylabel="reward")

    ax = axes[1][1]
    steps, entropy = logs.series(records, "entropy", phase="controller")
    if entropy:
        ax.plot(steps, entropy, color="tab:purple")
        ax.ticklabel_format(axis="y", useOffset=False)
    else:
        ax.text(0.5, 0.5, "no entropy logged\n(random strategy)", ha="center", va="center", transform=ax.transAxes)
    ax.set(title="controller: sampling entropy", xlabel="phase-2 step", ylabel="entropy (nats)")

    for ax in axes.flat:
        ax.grid(alpha=0.3)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def training_curves(records, title=None):
    """A figure of a retraining (``Model.train`` events): loss per step (raw and smoothed) and the learning rate, and
    when the log holds validation passes (``"phase": "retrain_valid"`` records with ``epoch`` and ``valid_ppl`` or
    ``valid_acc``, as the recipe scripts write them) the validation metric per epoch."""
    records = logs.records(records)
    pyplot = _pyplot()
    validation = [r for r in records if r.get("phase") == "retrain_valid"]
    training = [r for r in records if r.get("phase") != "retrain_valid"]
    figure, axes = pyplot.subplots(1, 3 if validation else 2, figsize=(16 if validation else 11, 3.5))
    _noisy_curve(axes[0], *logs.series(training, "loss"))
    axes[0].set(title="retraining: loss", xlabel="step", ylabel="loss")
    steps, rate = logs.series(training, "lr")
    if rate:
        axes[1].plot(steps, rate, color="tab:red")
    axes[1].set(title="learning rate", xlabel="step", ylabel="lr")
    if validation:
        key = "valid_acc" if "valid_acc" in validation[0] else "valid_ppl"
        points = [(r["epoch"], r[key]) for r in validation if isinstance(r.get(key), (int, float))]
        axes[2].plot([e for e, _ in points], [v for _, v in points], color="tab:green", marker="o")
        axes[2].set(title=f"{_METRIC_LABEL[key[6:]]} after each pass", xlabel="epoch", ylabel=key[6:])
    for ax in axes:
        ax.grid(alpha=0.3)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def compare_searches(runs, key=None, phase="controller", title=None):
    """One figure overlaying several searches' curves of ``key`` (default: the validation metric of the sampled
    children) per epoch, as mean ± min/max band over that epoch's ``phase`` records. ``runs``: {label: records or
    path} — e.g. {"ENAS": enas_search.history, "random": random_search.history}."""
    pyplot = _pyplot()
    figure, ax = pyplot.subplots(figsize=(7, 4))
    for label, records in runs.items():
        records = logs.records(records)
        metric = key or _metric(records)
        epochs = logs.per_epoch(records, metric, phase=phase)
        if not epochs:
            continue
        xs = [e + 1 for e in epochs]
        means = [sum(v) / len(v) for v in epochs.values()]
        ax.plot(xs, means, marker="o", label=label)
        ax.fill_between(xs, [min(v) for v in epochs.values()], [max(v) for v in epochs.values()], alpha=0.15)
    ax.set(xlabel="epoch", ylabel=key or "validation metric of sampled children", title=title or "")
    ax.grid(alpha=0.3)
    ax.legend()
    figure.tight_layout()
    return figure


def save(figure, path):
    """Writes ``figure`` to ``path`` (PNG/SVG/PDF by extension), creating its folder; returns the path."""
    path = os.fspath(path)
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    figure.savefig(path, dpi=110)
    return path


def has_graphviz():
    """Whether Graphviz's ``dot`` program is on PATH (Debian: apt-get install graphviz)."""
    return shutil.which("dot") is not None


def render_dot(dot, path):
    """Renders DOT text to ``path`` with Graphviz (format from the extension: .png, .svg, .pdf) and returns the path;
    returns None when Graphviz is not installed. A ``dot`` failure raises EnasError with its message."""
    if not has_graphviz():
        return None
    path = os.fspath(path)
    extension = os.path.splitext(path)[1].lstrip(".").lower() or "png"
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    done = subprocess.run(["dot", f"-T{extension}", "-o", path], input=dot.encode(), capture_output=True)
    if done.returncode != 0:
        raise EnasError(Status.IO, f"enas.plots.render_dot: dot -T{extension} failed: "
                                   f"{done.stderr.decode(errors='replace').strip()}")
    return path


def show_dot(dot):
    """An object a notebook displays: the drawing as SVG when Graphviz is installed, else the DOT text itself."""
    from IPython.display import SVG, Markdown
    if has_graphviz():
        done = subprocess.run(["dot", "-Tsvg"], input=dot.encode(), capture_output=True)
        if done.returncode == 0:
            return SVG(done.stdout)
    return Markdown("Graphviz is not installed (`apt-get install graphviz`); the DOT text:\n```dot\n" + dot + "\n```")


__all__ = ["compare_searches", "has_graphviz", "render_dot", "save", "search_curves", "show_dot", "training_curves"]
