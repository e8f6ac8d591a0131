"""Search and training logs: one JSON object per line (``enas.Search(log=…)``), read back for plots."""

import json
import os

from .errors import EnasError, Status


def read_jsonl(path):
    """The records of a JSON-lines file as a list of dicts (blank lines skipped). A line that is not a JSON object
    raises EnasError (FORMAT) naming the file and line; a missing file raises EnasError (IO)."""
    path = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as file:
            lines = file.readlines()
    except OSError as error:
        raise EnasError(Status.IO, f"enas.logs.read_jsonl: cannot read '{path}': {error.strerror}") from None
    records = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as error:
            # A run still writing may have a partial last line.
            if number == len(lines) and not line.endswith("\n"):
                break
            raise EnasError(Status.FORMAT, f"enas.logs.read_jsonl: {path}:{number}: not JSON ({error})") from None
        if not isinstance(record, dict):
            raise EnasError(Status.FORMAT, f"enas.logs.read_jsonl: {path}:{number}: not a JSON object")
        records.append(record)
    return records


def records(source):
    """``source`` as a list of record dicts: a list/iterable of dicts (e.g. ``Search.history``) or a JSON-lines path."""
    if isinstance(source, (str, os.PathLike)):
        return read_jsonl(source)
    return list(source)


def series(source, key, phase=None):
    """(steps, values): ``key``'s values in record order, over the records of ``phase`` (all when None) that carry
    it, with steps counted 0, 1, 2, … across epochs — ready for ``plot(steps, values)``."""
    picked = [r[key] for r in records(source)
              if (phase is None or r.get("phase") == phase) and isinstance(r.get(key), (int, float))]
    return list(range(len(picked))), picked


def per_epoch(source, key, phase=None):
    """{epoch: [values]}: ``key``'s values grouped by the records' "epoch", over ``phase``'s records (all when None)."""
    grouped = {}
    for r in records(source):
        if (phase is None or r.get("phase") == phase) and isinstance(r.get(key), (int, float)) and "epoch" in r:
            grouped.setdefault(r["epoch"], []).append(r[key])
    return dict(sorted(grouped.items()))


def to_dataframe(source):
    """A pandas DataFrame of log records (a list of dicts, e.g. ``Search.history``) or of a JSON-lines file's path."""
    try:
        import pandas
    except ImportError:
        raise ImportError("enas.logs.to_dataframe needs pandas (pip install pandas); read_jsonl gives plain dicts")
    return pandas.DataFrame.from_records(records(source))


__all__ = ["per_epoch", "read_jsonl", "records", "series", "to_dataframe"]
