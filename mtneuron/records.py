"""What a run is (``RunSpec``) and what it leaves behind (a JSON record), read and written safely.

Records are plain dicts with the blog's keys (``n_examples``, ``n_epochs``,
``learning_rate``, ``losses``, ``accuracies``, ``accuracy``) plus the spec and metadata.
Nothing here needs TensorFlow, so reports and notebooks can read records anywhere.
"""

import dataclasses
import glob
import json
import math
import os

from mtneuron.files import write_text

SCHEMA_VERSION = 1
BLOG_SEED = 21
ENGINES = ("faithful", "exact", "fast")
BLOG_KEYS = ("n_examples", "n_epochs", "learning_rate", "losses", "accuracies", "accuracy")


class RecordError(ValueError):
    """A results file or directory that cannot be used as asked; one line with the fix."""


@dataclasses.dataclass(frozen=True)
class RunSpec:
    """Everything that determines a run's numbers; two runs with equal specs are the same run."""

    model: str
    learning_rate: float
    seed: int = BLOG_SEED
    n_epochs: int = 4
    n_examples: int = 55000
    hidden_sizes: tuple = (251, 87)
    average_every: int = 1100
    test_examples: int = 10000
    engine: str = "faithful"

    @property
    def filename(self):
        """``run_{model}_{rate}.json``, with ``_seed{seed}`` before ``.json`` unless the blog's seed."""
        seed = "" if self.seed == BLOG_SEED else "_seed%d" % self.seed
        return "run_%s_%s%s.json" % (self.model, format_rate(self.learning_rate), seed)

    def to_dict(self):
        fields = dataclasses.asdict(self)
        fields["hidden_sizes"] = list(self.hidden_sizes)
        return fields

    @classmethod
    def from_dict(cls, fields):
        names = {field.name for field in dataclasses.fields(cls)}
        known = {key: value for key, value in fields.items() if key in names}
        known["hidden_sizes"] = tuple(known.get("hidden_sizes", cls.hidden_sizes))
        return cls(**known)


def format_rate(learning_rate):
    """Learning rate as written in file names and tables: ``0.0005``, ``0.01``."""
    return "%g" % learning_rate


def spec_of(record):
    """The ``RunSpec`` a record was made with."""
    return RunSpec.from_dict(record["spec"])


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


def load_records(directory):
    """Every complete run record in ``directory``, sorted by model, learning rate and seed."""
    if not os.path.isdir(directory):
        raise RecordError("no results directory %s: run scripts/reproduce_blog.py first or pass "
                          "the directory that holds the run_*.json files" % directory)
    records = [read_json(path) for path in glob.glob(os.path.join(directory, "run_*.json"))]
    records = [record for record in records if record is not None and is_complete(record)]
    if not records:
        raise RecordError("no complete run_*.json records in %s: run scripts/reproduce_blog.py "
                          "--out %s first" % (directory, directory))
    return sorted(records, key=lambda r: (r["model"], r["learning_rate"], r["seed"]))
