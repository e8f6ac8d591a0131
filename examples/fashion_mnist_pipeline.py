"""The Fashion-MNIST recipe — micro-cell search, derive, retrain, evaluate — in resumable chunks on a 2-core CPU.

Each call works for at most --budget-minutes, checkpointing where it stops, so a run longer than one sitting is a
sequence of calls of this same command (examples/resumable_pipeline.py). Checkpoints go to --work (default
runs/fashion_mnist, not committed); the JSON-lines logs, the derived cells' picture and the final result go to --logs
(default logs/fashion_mnist, meant to be committed). --strategy random runs the same budget with uniform sampling,
the baseline the controller must beat.

    python3 examples/fashion_mnist_pipeline.py --budget-minutes 50      # repeat until it prints the final result
    python3 examples/fashion_mnist_pipeline.py --strategy random --work runs/fm_random --logs logs/fashion_mnist_random

Data: Debian's dataset-fashion-mnist (55,000 train / 5,000 validation / 10,000 test; pad-2 crop + flip).
The configs below are this recipe's choices for a 2-core CPU; see README.md for the measured outcome.
"""

import argparse
import sys

import numpy as np

import enas
import resumable_pipeline
from resumable_pipeline import merged

# Search: the paper's micro search (controller, REINFORCE, Nesterov, cosine restarts) on a network sized for a CPU:
# 3 normal cells + 2 reduction cells of 16 filters, 5 blocks, minibatches of 64 (859 steps per epoch; measured
# 0.44 s per step under load, so 12 epochs take about an hour).
SEARCH_CONFIG = {
    "space": "micro",
    "layers": 3,
    "width": 16,
    "blocks": 5,
    "training": {"batch_size": 64, "learning_rate": {"kind": "cosine", "initial": 0.05, "minimum": 0.0005,
                                                      "first_period": 10, "period_multiplier": 2}},
    "controller_steps_per_epoch": 30,
    "valid_batch_size": 250,
    "derive_samples": 100,
}
# Retraining: 3 normal cells per stage + 2 reduction cells of 16 filters (~220k weights without the auxiliary head
# for the derived cells), auxiliary head, drop-path 0.9 (lighter than the paper's 0.6 for 630 epochs: 18 epochs
# underfit more than they overfit), cutout 8, one cosine period of 18 epochs. Sized to what the 4 hours leave after
# the search (measured 2.29 h, partly shared with other work): the derived cells train at 0.37 s per 64-image step
# on 2 cores (2026-11-29), about 6 minutes an epoch (measured: 6,566 s for the 18).
RETRAIN_CONFIG = {
    "layers": 3,
    "width": 16,
    "auxiliary_head": True,
    "regularization": {"drop_path_keep": 0.9, "head_dropout": 0},
    "training": {"batch_size": 64, "weight_decay": 3e-4, "cutout": 8},
}

# Epochs of each stage (the search's cosine restarts after 10).
TOTAL_HOURS = 4  # the recipe's wall-clock budget: retraining ends early rather than overrun it
SEARCH_EPOCHS, RETRAIN_EPOCHS = 12, 18

# --smoke: the same pipeline on random images at a size that runs in seconds (tests).
SMOKE_SEARCH = {"layers": 0, "width": 4, "blocks": 2, "steps_per_epoch": 3, "controller_steps_per_epoch": 2,
                "training": {"batch_size": 8}, "reinforce": {"samples_per_step": 2}, "valid_batch_size": 8,
                "derive_samples": 3}
SMOKE_RETRAIN = {"layers": 1, "width": 4, "auxiliary_head": False, "training": {"batch_size": 8}}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=None, help="Fashion-MNIST folder (default: Debian's package location)")
    parser.add_argument("--strategy", choices=["enas", "random"], default="enas")
    resumable_pipeline.add_arguments(parser, work="runs/fashion_mnist", logs="logs/fashion_mnist",
                                     search_epochs=SEARCH_EPOCHS, retrain_epochs=RETRAIN_EPOCHS,
                                     total_hours=TOTAL_HOURS)
    args = parser.parse_args()
    search = dict(SEARCH_CONFIG, strategy=args.strategy)
    retrain = dict(RETRAIN_CONFIG)
    # One cosine period over the whole retraining.
    retrain["training"] = dict(retrain["training"], learning_rate={
        "kind": "cosine", "initial": 0.05, "minimum": 0.0005, "first_period": args.retrain_epochs, "period_multiplier": 1})
    if args.smoke:
        rng = np.random.default_rng(args.seed)
        x, y = rng.integers(0, 256, size=(120, 1, 12, 12), dtype=np.uint8), rng.integers(0, 3, 120)
        data = enas.data.Images(x[:100], y[:100], x[100:], y[100:], validation=20, classes=3)
        search, retrain = merged(search, SMOKE_SEARCH), merged(retrain, SMOKE_RETRAIN)
    else:
        data = enas.data.FashionMNIST(args.data)
    resumable_pipeline.run(args, data, "micro", search, retrain, metric="acc", valid_every=3)
    return 0


if __name__ == "__main__":
    sys.exit(resumable_pipeline.exit_code(main))
