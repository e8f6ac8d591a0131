"""The full Penn Treebank pipeline — search, derive, retrain, evaluate — in resumable chunks.

Each call works for at most --budget-minutes, checkpointing where it stops, so a run longer than one sitting is a
sequence of calls of this same command. Checkpoints go to --work (default runs/ptb, not committed); the JSON-lines
logs and the final result go to --logs (default logs/ptb, meant to be committed).

    python3 examples/ptb_pipeline.py --budget-minutes 50            # repeat until it prints the final result
    python3 examples/ptb_pipeline.py --search-epochs 2 --retrain-epochs 1 --budget-minutes 5 --work /tmp/x --logs /tmp/x

The configs below are this recipe's choices for a 2-core CPU; see README.md for the measured outcome.
"""

import argparse
import json
import os
import sys
import time

import enas

SEARCH_CONFIG = {
    "preset": "paper",
    "child": {"hidden_size": 200},
    "training": {"batch_size": 64, "bptt": 35},
    "controller_steps_per_epoch": 25,
    "valid_batch_size": 64,
    "derive_samples": 100,
}
RETRAIN_CONFIG = {
    "child": {"hidden_size": 400, "init_scale": 0.04, "embedding_dropout": 0.1, "input_dropout": 0.3,
              "cell_input_dropout": 0.5, "hidden_dropout": 0.2, "output_dropout": 0.5},
    "training": {"batch_size": 64, "bptt": 35, "gradient_clip": 0.25, "weight_decay": 1e-6,
                 "learning_rate": {"kind": "exponential_decay", "initial": 20, "factor": 0.8, "start_epoch": 15}},
}


# --smoke: the same pipeline at a size that runs in seconds (tests).
SMOKE_SEARCH = {"child": {"hidden_size": 12, "node_count": 4}, "training": {"batch_size": 4, "bptt": 8},
                "windows_per_epoch": 4, "controller_steps_per_epoch": 1, "valid_batch_size": 2, "derive_samples": 3,
                "controller": {"hidden_size": 8}, "reinforce": {"samples_per_step": 2}}
SMOKE_RETRAIN = {"child": {"hidden_size": 12}, "training": {"batch_size": 4, "bptt": 8}}


def merged(base, override):
    result = dict(base)
    for key, value in override.items():
        result[key] = merged(result[key], value) if isinstance(value, dict) and isinstance(result.get(key), dict) else value
    return result


def default_ptb_folder():
    """$ENAS_DATA/ptb, else ../shared/data/ptb beside the repository (never relative to the working directory)."""
    if os.environ.get("ENAS_DATA"):
        return os.path.join(os.environ["ENAS_DATA"], "ptb")
    repository = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return os.path.join(os.path.dirname(repository), "shared", "data", "ptb")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=None, help="PTB folder (default $ENAS_DATA/ptb or ../shared/data/ptb)")
    parser.add_argument("--work", default="runs/ptb", help="checkpoints and pipeline state")
    parser.add_argument("--logs", default="logs/ptb", help="JSON-lines logs and the final result")
    parser.add_argument("--budget-minutes", type=float, default=50)
    parser.add_argument("--search-epochs", type=int, default=10)
    parser.add_argument("--retrain-epochs", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--smoke", action="store_true", help="tiny configs (tests)")
    args = parser.parse_args()

    os.makedirs(args.work, exist_ok=True)
    os.makedirs(args.logs, exist_ok=True)
    deadline = time.monotonic() + 60 * args.budget_minutes
    state_path = os.path.join(args.work, "pipeline.json")
    state = json.load(open(state_path)) if os.path.exists(state_path) else {"stage": "search", "seconds": 0.0}
    started = time.monotonic()

    def save_state():
        state["seconds"] += time.monotonic() - started_chunk[0]
        started_chunk[0] = time.monotonic()
        tmp = state_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(state, f, indent=1)
        os.replace(tmp, state_path)

    started_chunk = [started]
    out_of_time = lambda event: time.monotonic() < deadline  # noqa: E731 — the run callback: continue while in budget
    data = enas.data.PTB(args.data or default_ptb_folder())

    if state["stage"] == "search":
        checkpoint = os.path.join(args.work, "search.ckpt")
        if os.path.exists(checkpoint):
            search = enas.Search.load(checkpoint, data=data)
        else:
            config = merged(SEARCH_CONFIG, SMOKE_SEARCH) if args.smoke else SEARCH_CONFIG
            search = enas.Search(space="rnn", data=data, config=dict(config, epochs=args.search_epochs), seed=args.seed)
        finished = search.run(callback=out_of_time)   # the config's remaining epochs
        search.save(checkpoint)
        with open(os.path.join(args.logs, "search.jsonl"), "w") as log:
            for record in search.history:
                log.write(json.dumps(record, sort_keys=True) + "\n")
        if finished:
            architecture, valid_ppl = search.derive()
            state.update(stage="retrain", architecture=architecture.to_json(), derive_valid_ppl=valid_ppl,
                         architecture_text=str(architecture), architecture_v1=architecture.to_string("rnn-v1"))
            with open(os.path.join(args.logs, "derived_cell.dot"), "w") as f:
                f.write(architecture.to_dot())
        save_state()
        if not finished:
            print(f"search paused at epoch {search.state['epoch']}; run again to continue")
            return 0

    if state["stage"] == "retrain":
        checkpoint = os.path.join(args.work, "retrain.ckpt")
        architecture = enas.Architecture.from_json(state["architecture"])
        if os.path.exists(checkpoint):
            model = enas.Model.load(checkpoint, data=data)
        else:
            config = merged(RETRAIN_CONFIG, SMOKE_RETRAIN) if args.smoke else RETRAIN_CONFIG
            model = enas.Model(architecture, data=data, config=dict(config, epochs=args.retrain_epochs), seed=args.seed)
        log_path = os.path.join(args.logs, "retrain.jsonl")
        with open(log_path, "a") as log:
            def record(event):
                log.write(json.dumps(event, sort_keys=True) + "\n")
                return out_of_time(event)
            finished = model.train(callback=record)   # the config's remaining epochs
        model.save(checkpoint)
        if finished:
            state.update(stage="done", valid_ppl=model.evaluate("valid"), test_ppl=model.evaluate("test"),
                         num_params=model.num_params)
        save_state()
        if not finished:
            print("retraining paused; run again to continue")
            return 0

    result = {key: state[key] for key in ("architecture_text", "architecture_v1", "derive_valid_ppl", "valid_ppl",
                                          "test_ppl", "num_params", "seconds") if key in state}
    with open(os.path.join(args.logs, "result.json"), "w") as f:
        json.dump(result, f, indent=1, sort_keys=True)
    print(json.dumps(result, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
