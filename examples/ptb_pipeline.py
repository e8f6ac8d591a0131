"""The full Penn Treebank pipeline — search, derive, retrain, evaluate — in resumable chunks.

Each call works for at most --budget-minutes, checkpointing where it stops, so a run longer than one sitting is a
sequence of calls of this same command (examples/resumable_pipeline.py). Checkpoints go to --work (default runs/ptb,
not committed); the JSON-lines logs and the final result go to --logs (default logs/ptb, meant to be committed).

    python3 examples/ptb_pipeline.py --budget-minutes 50            # repeat until it prints the final result
    python3 examples/ptb_pipeline.py --search-epochs 2 --retrain-epochs 1 --budget-minutes 5 --work /tmp/x --logs /tmp/x

The configs below are this recipe's choices for a 2-core CPU; see README.md for the measured outcome.
"""

import argparse
import os
import sys

import enas
import resumable_pipeline
from resumable_pipeline import merged

SEARCH_CONFIG = {
    "preset": "paper",
    "child": {"hidden_size": 200},
    "training": {"batch_size": 64, "bptt": 35},
    "controller_steps_per_epoch": 25,
    "valid_batch_size": 64,
    "derive_samples": 100,
}
# Sized from measured step times on 2 cores: the search runs ~0.6 s a window on the AVX-512 machine (~5 min an epoch
# with its controller steps; 35 min for the 6 epochs). Retraining at H 400 runs 0.85–1.0 s a window there (6–8 min
# an epoch), but 1.9–3 s on the AVX2 EPYC the project moved to (13–21 min an epoch, the speed varying by the hour), so
# 4 h hold 9–14 retraining epochs there and TOTAL_HOURS ends retraining at an epoch boundary rather than overrun.
# The schedule is shaped so that such an early end still gets the decayed-lr and averaged epochs that matter most
# with so few epochs: lr 20 for 5 epochs (valid ppl fell ~12 an epoch there in the lost run), then ×0.75 an epoch,
# and the weights of every epoch from 7 on averaged (evaluation uses the average). The dropouts are lighter than
# enas_lm's, whose run lasts hundreds of epochs.
RETRAIN_CONFIG = {
    "child": {"hidden_size": 400, "init_scale": 0.04, "embedding_dropout": 0.1, "input_dropout": 0.2,
              "cell_input_dropout": 0.45, "hidden_dropout": 0.15, "output_dropout": 0.45},
    "training": {"batch_size": 64, "bptt": 35, "gradient_clip": 0.25, "weight_decay": 1e-6,
                 "learning_rate": {"kind": "exponential_decay", "initial": 20, "factor": 0.75, "start_epoch": 5}},
    "averaging_start_epoch": 7,
}
TOTAL_HOURS = 4  # the recipe's wall-clock budget: retraining ends early rather than overrun it
SEARCH_EPOCHS, RETRAIN_EPOCHS = 6, 12
VALID_EVERY = 3  # a validation pass costs ~20 s at H 400


# --smoke: the same pipeline at a size that runs in seconds (tests).
SMOKE_SEARCH = {"child": {"hidden_size": 12, "node_count": 4}, "training": {"batch_size": 4, "bptt": 8},
                "windows_per_epoch": 4, "controller_steps_per_epoch": 1, "valid_batch_size": 2, "derive_samples": 3,
                "controller": {"hidden_size": 8}, "reinforce": {"samples_per_step": 2}}
SMOKE_RETRAIN = {"child": {"hidden_size": 12}, "training": {"batch_size": 4, "bptt": 8}}


def default_ptb_folder():
    """$ENAS_DATA/ptb, else ../shared/data/ptb beside the repository (never relative to the working directory)."""
    if os.environ.get("ENAS_DATA"):
        return os.path.join(os.environ["ENAS_DATA"], "ptb")
    repository = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return os.path.join(os.path.dirname(repository), "shared", "data", "ptb")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=None, help="PTB folder (default $ENAS_DATA/ptb or ../shared/data/ptb)")
    resumable_pipeline.add_arguments(parser, work="runs/ptb", logs="logs/ptb", search_epochs=SEARCH_EPOCHS,
                                     retrain_epochs=RETRAIN_EPOCHS, total_hours=TOTAL_HOURS)
    args = parser.parse_args()
    data = enas.data.PTB(args.data or default_ptb_folder())
    search = merged(SEARCH_CONFIG, SMOKE_SEARCH) if args.smoke else SEARCH_CONFIG
    retrain = merged(RETRAIN_CONFIG, SMOKE_RETRAIN) if args.smoke else RETRAIN_CONFIG
    resumable_pipeline.run(args, data, "rnn", search, retrain, metric="ppl", valid_every=VALID_EVERY)
    return 0


if __name__ == "__main__":
    sys.exit(resumable_pipeline.exit_code(main))
