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


def to_dataframe(records):
    """A pandas DataFrame of log records (a list of dicts, e.g. ``Search.history``) or of a JSON-lines file's path."""
    try:
        import pandas
    except ImportError:
        raise ImportError("enas.logs.to_dataframe needs pandas (pip install pandas); read_jsonl gives plain dicts")
    if isinstance(records, (str, os.PathLike)):
        records = read_jsonl(records)
    return pandas.DataFrame.from_records(list(records))


__all__ = ["read_jsonl", "to_dataframe"]
