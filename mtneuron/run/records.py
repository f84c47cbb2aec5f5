"""What every run shares, whatever study made it: a spec (``Spec``), the context a worker runs it in, and
the JSON record it leaves behind, read and written safely.

Records are plain dicts with the blog's keys (``n_examples``, ``n_epochs``,
``learning_rate``, ``losses``, ``accuracies``, ``accuracy``) plus the spec and metadata.
Nothing here needs TensorFlow, so reports and notebooks can read records anywhere.
"""

import dataclasses
import glob
import json
import math
import os
import sys
import typing
import warnings

import numpy as np

from mtneuron import blog
from mtneuron.run.files import write_text

SCHEMA_VERSION = 1
BLOG_KEYS = ("n_examples", "n_epochs", "learning_rate", "losses", "accuracies", "accuracy")


class RecordError(ValueError):
    """A results file or directory that cannot be used as asked; one line with the fix."""


class Spec:
    """What every study's spec shares: a name and JSON round trips. Two runs with equal specs are the
    same run; a subclass is a frozen dataclass with a ``filename`` property, and a ``dataset`` field
    where it trains on another of ``data.DATA_SETS`` than MNIST."""

    dataset = "mnist"

    @property
    def name(self):
        """The run's name: its file name without ``.json``."""
        return self.filename[:-5]

    def to_dict(self):
        return {key: list(value) if isinstance(value, tuple) else value
                for key, value in dataclasses.asdict(self).items()}

    @classmethod
    def from_dict(cls, fields):
        names = {field.name: field for field in dataclasses.fields(cls)}
        known = {key: tuple(value) if isinstance(value, list) else value
                 for key, value in fields.items() if key in names}
        return cls(**known)


def seed_suffix(seed):
    """``_seed{seed}`` for a file name, empty for the blog's seed."""
    return "" if seed == blog.SEED else "_seed%d" % seed


@dataclasses.dataclass(frozen=True)
class RunContext:
    """How a worker runs a spec, which never changes its numbers: every trainer callable is
    ``train(spec, datasets, context) -> record``."""

    threads: typing.Optional[int] = None  # TensorFlow threads per op pool (TensorFlow decides if None)
    progress: bool = True
    position: int = 0  # the progress bar's line
    tensorboard_dir: typing.Optional[str] = None
    checkpoint_dir: typing.Optional[str] = None  # epoch checkpoints, for trainers that keep them
    weights_path: typing.Optional[str] = None  # the final parameters (.npz), for trainers that keep them


def format_rate(learning_rate):
    """Learning rate as written in file names and tables: ``0.0005``, ``0.01``."""
    return "%g" % learning_rate


def spec_of(record, spec_type):
    """The spec (of ``spec_type``, e.g. ``blog_runs.RunSpec``) a record was made with."""
    return spec_type.from_dict(record["spec"])


def is_complete(record):
    return record.get("status") == "complete" and all(key in record for key in BLOG_KEYS)


def write_json(path, payload):
    """Write ``payload`` as JSON atomically; NaN and infinities become ``null`` (strict JSON)."""
    write_text(path, json.dumps(_finite(payload), indent=1, allow_nan=False) + "\n")


def _finite(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


def read_json(path):
    """A record or ``None`` when ``path`` is absent or not a readable JSON object."""
    try:
        with open(path) as stream:
            payload = json.load(stream)
    except (OSError, ValueError):
        return None
    return payload if isinstance(payload, dict) else None


_WARNED = set()  # the files load_records has warned of


def load_records(directory):
    """Every complete run record in ``directory``, sorted by spec; a file that is not one is skipped with a
    warning (once per file and process: a study reads its directory at every stage)."""
    if not os.path.isdir(directory):
        raise RecordError("no results directory %s: train into it first (the study's command with --out %s) "
                          "or pass the directory that holds the run_*.json files" % (directory, directory))
    records = []
    for path in sorted(glob.glob(os.path.join(directory, "run_*.json"))):
        record = read_json(path)
        if record is not None and is_complete(record):
            records.append(record)
        elif path not in _WARNED:  # one line per file, so that a damaged record never drops out unnoticed
            _WARNED.add(path)
            print("warning: skipped %s: %s; delete it and re-run the study's command to train that run again"
                  % (path, "not a readable JSON record (truncated or damaged)" if record is None else
                     "an incomplete record"), file=sys.stderr)
    if not records:
        raise RecordError("no complete run_*.json records in %s: train into it first (the study's command "
                          "with --out %s) or pass the directory that holds them" % (directory, directory))
    return sorted(records, key=lambda record: json.dumps(record["spec"], sort_keys=True))


# Curves of a record.

def curve(values):
    """A recorded curve as floats, with JSON nulls (non-finite values) as NaN."""
    return np.array([np.nan if value is None else value for value in values], dtype=float)


def curve_band(curves):
    """Mean, min and max over seeds of recorded curves, point by point (runs that diverged stop early)."""
    values = np.full((len(curves), max(len(points) for points in curves)), np.nan)
    for row, points in enumerate(curves):
        values[row, :len(points)] = curve(points)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN points stay NaN
        return np.nanmean(values, axis=0), np.nanmin(values, axis=0), np.nanmax(values, axis=0)
