"""The main job: a micro-CNN search on Fashion-MNIST, derive, a short retraining from scratch, the test accuracy —
with progress bars, and the log, checkpoints, plots and the cells' picture written to --out.

    python3 examples/fashion_mnist_quickstart.py            # minutes: a 5,000-image search, 3 + 3 epochs
    python3 examples/fashion_mnist_quickstart.py --full     # hours: examples/fashion_mnist_pipeline.py's configs
    python3 examples/fashion_mnist_quickstart.py --tiny     # seconds: the tests' size

Data: Debian's dataset-fashion-mnist (scripts/setup.sh installs it). One --seed fixes every random choice.
"""

import argparse
import json
import os
import sys
import time

import enas
from fashion_mnist_pipeline import RETRAIN_CONFIG, RETRAIN_EPOCHS, SEARCH_CONFIG, SEARCH_EPOCHS
from resumable_pipeline import merged

def one_cosine_period(config):
    """``config`` with its learning rate annealed once over its epochs (no restart inside a short run)."""
    schedule = {"kind": "cosine", "initial": 0.05, "minimum": 0.0005, "first_period": config["epochs"],
                "period_multiplier": 1}
    return merged(config, {"training": {"learning_rate": schedule}})


# Each budget: how much of the data each stage sees, and the search and retraining configs laid over the micro
# space's paper preset. "quick" is sized to take a few minutes on 2 cores (measured 2026-11-29: 2.5 min search,
# 2 min retraining).
BUDGETS = {
    "tiny": {
        "search_images": {"train": 512, "valid": 256, "test": 256},
        "retrain_images": {"train": 2048, "valid": 256, "test": 1000},
        "search": one_cosine_period({"epochs": 1, "layers": 0, "width": 8, "blocks": 3, "training": {"batch_size": 32},
                                     "steps_per_epoch": 12, "controller_steps_per_epoch": 4, "valid_batch_size": 128,
                                     "derive_samples": 4}),
        "retrain": one_cosine_period({"epochs": 2, "layers": 0, "width": 8, "auxiliary_head": False,
                                      "training": {"batch_size": 32}}),
    },
    "quick": {
        "search_images": {"train": 5000, "valid": 1000, "test": 1000},
        "retrain_images": {"train": 10000, "valid": 1000, "test": None},
        "search": one_cosine_period({"epochs": 3, "layers": 1, "width": 16, "blocks": 5, "training": {"batch_size": 64},
                                     "controller_steps_per_epoch": 20, "valid_batch_size": 250, "derive_samples": 20}),
        "retrain": one_cosine_period({"epochs": 3, "layers": 1, "width": 16, "auxiliary_head": False,
                                      "training": {"batch_size": 64}}),
    },
    "full": {
        "search_images": {}, "retrain_images": {},
        "search": dict(SEARCH_CONFIG, epochs=SEARCH_EPOCHS),
        "retrain": one_cosine_period(dict(RETRAIN_CONFIG, epochs=RETRAIN_EPOCHS)),
    },
}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--full", dest="budget", action="store_const", const="full", help="the recipe's full budget")
    size.add_argument("--tiny", dest="budget", action="store_const", const="tiny", help="seconds (tests)")
    parser.set_defaults(budget="quick")
    parser.add_argument("--out", default="runs/quickstart", help="where the log, checkpoints and pictures go")
    parser.add_argument("--data", default=None, help="Fashion-MNIST folder (default: Debian's package location)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-progress", action="store_true", help="no progress bars (a line per stage only)")
    args = parser.parse_args()
    budget = BUDGETS[args.budget]
    progress = not args.no_progress
    os.makedirs(args.out, exist_ok=True)
    paths = {name: os.path.join(args.out, file) for name, file in [
        ("search_log", "search.jsonl"), ("search_checkpoint", "search.ckpt"), ("search_plot", "search.png"),
        ("retrain_log", "retrain.jsonl"), ("model_checkpoint", "model.ckpt"), ("retrain_plot", "retrain.png"),
        ("cells_dot", "cells.dot"), ("cells_picture", "cells.png"), ("result", "result.json")]}
    started = time.monotonic()

    fashion = enas.data.FashionMNIST(args.data)
    search_data = fashion.subset(**budget["search_images"])
    print(f"[1/3] micro-cell search ({args.budget} budget) on {search_data}")
    search = enas.Search("micro", search_data, config=budget["search"], seed=args.seed,
                         log=paths["search_log"])
    state = search.state
    print(f"      shared weights ω: {state['shared_parameter_count']} scalars; {state['epochs']} epochs of "
          f"{state['shared_weights_steps']} ω steps + {state['controller_steps']} controller steps")
    search.run(progress=progress)
    search.save(paths["search_checkpoint"])
    enas.plots.save(enas.plots.search_curves(search.history, title="micro search on Fashion-MNIST"),
                    paths["search_plot"])

    print("[2/3] derive: best of the controller's samples on one validation minibatch")
    cells, valid_accuracy = search.derive()
    print(f"      derived cells: {cells}")
    print(f"      as integers:   {cells.to_string()}")
    print(f"      validation accuracy with shared weights (a search metric): {valid_accuracy:.3f}")
    with open(paths["cells_dot"], "w") as file:
        file.write(cells.to_dot())
    if enas.plots.render_dot(cells.to_dot(), paths["cells_picture"]) is None:
        print("      (Graphviz is not installed: the picture is the DOT text in cells.dot)")
        paths["cells_picture"] = paths["cells_dot"]

    retrain_data = fashion.subset(**budget["retrain_images"])
    print(f"[3/3] retrain the derived cells from scratch on {retrain_data}")
    model = enas.Model(cells, retrain_data, config=budget["retrain"], seed=args.seed)
    auxiliary = model.num_params - model.num_params_without_auxiliary
    print(f"      {model.num_params_without_auxiliary:,} parameters"
          + (f" (+{auxiliary:,} in the auxiliary head, used only while training)" if auxiliary else ""))
    with open(paths["retrain_log"], "w") as log:
        model.train(progress=progress, callback=lambda event: log.write(json.dumps(event, sort_keys=True) + "\n") or True)
    model.save(paths["model_checkpoint"])
    enas.plots.save(enas.plots.training_curves(paths["retrain_log"], title="retraining the derived cells"),
                    paths["retrain_plot"])
    test_accuracy = model.evaluate("test")

    result = {"budget": args.budget, "seed": args.seed, "architecture": str(cells),
              "architecture_string": cells.to_string(), "derive_valid_acc": valid_accuracy,
              "test_acc": test_accuracy, "test_images": retrain_data.lengths["test"],
              "num_params": model.num_params_without_auxiliary, "seconds": round(time.monotonic() - started, 1)}
    with open(paths["result"], "w") as file:
        json.dump(result, file, indent=1, sort_keys=True)
    print(f"\ntest accuracy: {100 * test_accuracy:.2f}% on {result['test_images']} Fashion-MNIST test images "
          f"({result['seconds']:.0f} s in all)")
    width = max(len(name) for name in paths)
    for name, path in paths.items():
        print(f"  {name.replace('_', ' '):<{width}}  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
