"""The staged, resumable search → derive → retrain → evaluate pipeline that the recipe scripts share.

Each call works for at most ``budget_minutes``, checkpointing where it stops, so a run longer than one sitting is a
sequence of calls of the same command. ``--total-hours`` bounds the whole run over all its calls: retraining then
stops early (at an epoch boundary, its learning-rate schedule cut short) when the next epoch and the final
evaluation would not fit. Checkpoints and the pipeline state go to ``work`` (not committed); the
JSON-lines logs, the derived architecture (``derived.json``, ``derived.dot``) and the final result go to ``logs``
(meant to be committed). When ``work`` is lost after the search (a new machine), the next call takes the derived
architecture from ``logs/derived.json`` and retrains it from scratch: the search is never rerun for a lost
checkpoint, and a lost retraining's log is kept beside the new one as ``retrain_abandoned_<k>.jsonl``. Ctrl-C
pauses like the budget does (the run stops at a step boundary and everything is saved), then raises
KeyboardInterrupt; ``exit_code`` turns that into the shell's 130.
"""

import json
import os
import time

import enas


def merged(base, override):
    """``base`` with ``override`` laid over it, recursively for nested dicts."""
    result = dict(base)
    for key, value in override.items():
        result[key] = merged(result[key], value) if isinstance(value, dict) and isinstance(result.get(key), dict) else value
    return result


def add_arguments(parser, work, logs, search_epochs, retrain_epochs, total_hours=None):
    parser.add_argument("--work", default=work, help="checkpoints and pipeline state")
    parser.add_argument("--logs", default=logs, help="JSON-lines logs and the final result")
    parser.add_argument("--budget-minutes", type=float, default=50)
    parser.add_argument("--search-epochs", type=int, default=search_epochs)
    parser.add_argument("--retrain-epochs", type=int, default=retrain_epochs)
    parser.add_argument("--total-hours", type=float, default=total_hours,
                        help="wall-clock budget of the whole pipeline over all chunks: retraining stops at the first "
                             "epoch boundary where one more epoch and the final evaluation would not fit")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--smoke", action="store_true", help="tiny configs (tests)")


def run(args, data, space, search_config, retrain_config, metric, valid_every=0):
    """Runs the next chunk of the pipeline; returns the final result dict once done, else None. ``metric`` is the
    name of the final metric ("ppl" or "acc"): the result holds derive_valid_<metric>, valid_<metric>, test_<metric>.
    ``valid_every`` > 0 logs the retrained model's validation metric after every that many epochs (and the last)."""
    os.makedirs(args.work, exist_ok=True)
    os.makedirs(args.logs, exist_ok=True)
    deadline = time.monotonic() + 60 * args.budget_minutes
    state_path = os.path.join(args.work, "pipeline.json")
    derived_path = os.path.join(args.logs, "derived.json")
    if os.path.exists(state_path):
        state = json.load(open(state_path))
    elif os.path.exists(derived_path):
        derived = json.load(open(derived_path))
        state = dict(derived, stage="retrain", seconds=derived["search_seconds"])
        print(f"{state_path} is missing: retraining the architecture derived in {derived_path} from scratch")
    else:
        state = {"stage": "search", "seconds": 0.0}
    chunk_start = [time.monotonic()]
    interrupted = False

    def paused():
        """A paused chunk's return: None, or (after Ctrl-C) KeyboardInterrupt passed on once everything is saved."""
        if interrupted:
            print("interrupted: everything is saved; run again to continue")
            raise KeyboardInterrupt
        return None

    def save_state():
        state["seconds"] += time.monotonic() - chunk_start[0]
        chunk_start[0] = time.monotonic()
        tmp = state_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(state, f, indent=1)
        os.replace(tmp, state_path)

    in_budget = lambda event: time.monotonic() < deadline  # noqa: E731 — the run callback: continue while in budget

    if state["stage"] == "search":
        checkpoint = os.path.join(args.work, "search.ckpt")
        if os.path.exists(checkpoint):
            search = enas.Search.load(checkpoint, data=data)
        else:
            search = enas.Search(space=space, data=data, config=dict(search_config, epochs=args.search_epochs),
                                 seed=args.seed)
        try:
            finished = search.run(callback=in_budget)   # the config's remaining epochs
        except KeyboardInterrupt:  # stopped at a step boundary: save as for a pause, then pass the interrupt on
            interrupted, finished = True, False
        search.save(checkpoint)
        with open(os.path.join(args.logs, "search.jsonl"), "w") as log:
            for record in search.history:
                log.write(json.dumps(record, sort_keys=True) + "\n")
        if finished:
            architecture, valid = search.derive()
            state.update(stage="retrain", architecture=architecture.to_json(), architecture_text=str(architecture),
                         architecture_string=architecture.to_string("rnn-v1" if space == "rnn" else space))
            state[f"derive_valid_{metric}"] = valid
            with open(os.path.join(args.logs, "derived.dot"), "w") as f:
                f.write(architecture.to_dot())
        save_state()
        if finished:
            derived = {key: state[key] for key in ("architecture", "architecture_text", "architecture_string",
                                                   f"derive_valid_{metric}")}
            with open(derived_path, "w") as f:
                json.dump(dict(derived, search_seconds=state["seconds"]), f, indent=1, sort_keys=True)
        if not finished:
            print(f"search paused at epoch {search.state['epoch']}; run again to continue")
            return paused()

    if state["stage"] == "retrain":
        retrain_start = time.monotonic()
        retrain_seconds = lambda: state.get("retrain_seconds", 0.0) + time.monotonic() - retrain_start  # noqa: E731
        total_left = lambda: 3600 * args.total_hours - state["seconds"] - (time.monotonic() - chunk_start[0])  # noqa: E731
        checkpoint = os.path.join(args.work, "retrain.ckpt")
        architecture = enas.Architecture.from_json(state["architecture"])
        log_path = os.path.join(args.logs, "retrain.jsonl")
        if os.path.exists(checkpoint):
            model = enas.Model.load(checkpoint, data=data)
        else:
            model = enas.Model(architecture, data=data, config=dict(retrain_config, epochs=args.retrain_epochs),
                               seed=args.seed)
            if os.path.exists(log_path) and os.path.getsize(log_path) > 0:   # a retraining whose checkpoint was lost
                k = 1
                while os.path.exists(os.path.join(args.logs, f"retrain_abandoned_{k}.jsonl")):
                    k += 1
                os.replace(log_path, os.path.join(args.logs, f"retrain_abandoned_{k}.jsonl"))
        with open(log_path, "a") as log:
            def record(event):
                # The architecture is the same in every retraining event (it is in pipeline.json and result.json).
                log.write(json.dumps({k: v for k, v in event.items() if k != "architecture"}, sort_keys=True) + "\n")
                return in_budget(event)

            def train_epochs():
                """One epoch a call (a resumed chunk first finishes the epoch it stopped in), so the validation
                metric can be logged every `valid_every` epochs: the curve that tells whether more epochs would pay.
                Returns whether retraining is over (all epochs, or the total budget reached)."""
                while model.info["epoch"] < model.info["epochs"]:
                    done = model.info["epoch"]
                    if args.total_hours is not None and done > 0:
                        # The average epoch so far (its validation passes included) and the final valid + test passes.
                        needed = retrain_seconds() / done + 2.5 * state.get("valid_pass_seconds", 30.0)
                        if needed > total_left():
                            state["stopped_by_total_budget"] = True
                            print(f"retraining ends at epoch {done} of {model.info['epochs']}: the next epoch and "
                                  f"the evaluation (~{needed:.0f} s) would not fit in the {args.total_hours} h budget")
                            return True
                    if not model.train(epochs=1, callback=record):
                        return False
                    epoch = model.info["epoch"]
                    if valid_every > 0 and (epoch % valid_every == 0 or epoch == model.info["epochs"]):
                        started = time.monotonic()
                        valid = model.evaluate("valid")
                        state["valid_pass_seconds"] = time.monotonic() - started
                        log.write(json.dumps({"phase": "retrain_valid", "epoch": epoch, f"valid_{metric}": valid}) + "\n")
                        log.flush()
                return True

            try:
                finished = train_epochs()
            except KeyboardInterrupt:  # stopped at a step (or evaluation) boundary: save, then pass it on
                interrupted, finished = True, False
        model.save(checkpoint)
        if finished:
            state.update(stage="done", num_params=model.num_params, retrain_epochs=model.info["epoch"])
            state[f"valid_{metric}"] = model.evaluate("valid")
            state[f"test_{metric}"] = model.evaluate("test")
            if space != "rnn":
                state["num_params_without_auxiliary"] = model.num_params_without_auxiliary
        state["retrain_seconds"] = retrain_seconds()
        save_state()
        if not finished:
            print("retraining paused; run again to continue")
            return paused()

    keys = ["architecture_text", "architecture_string", f"derive_valid_{metric}", f"valid_{metric}", f"test_{metric}",
            "num_params", "num_params_without_auxiliary", "retrain_epochs", "stopped_by_total_budget", "seconds"]
    result = {key: state[key] for key in keys if key in state}
    with open(os.path.join(args.logs, "result.json"), "w") as f:
        json.dump(result, f, indent=1, sort_keys=True)
    print(json.dumps(result, indent=1, sort_keys=True))
    return result


def exit_code(main):
    """Runs a recipe's ``main()``: its return value, or 130 (the shell's code for Ctrl-C) after an interrupt."""
    try:
        return main()
    except KeyboardInterrupt:
        return 130
