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
import typing

from mtneuron.files import write_text

SCHEMA_VERSION = 1
BLOG_SEED = 21
ENGINES = ("faithful", "exact", "fast")
BLOG_KEYS = ("n_examples", "n_epochs", "learning_rate", "losses", "accuracies", "accuracy")


class RecordError(ValueError):
    """A results file or directory that cannot be used as asked; one line with the fix."""


class _Spec:
    """What the specs share: JSON round trips. Two runs with equal specs are the same run."""

    def to_dict(self):
        return {key: list(value) if isinstance(value, tuple) else value
                for key, value in dataclasses.asdict(self).items()}

    @classmethod
    def from_dict(cls, fields):
        names = {field.name: field for field in dataclasses.fields(cls)}
        known = {key: tuple(value) if isinstance(value, list) else value
                 for key, value in fields.items() if key in names}
        return cls(**known)


@dataclasses.dataclass(frozen=True)
class RunSpec(_Spec):
    """A run of the blog's experiment: everything that determines its numbers."""

    trainer: typing.ClassVar[str] = "mtneuron.training:train"
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


ARCHITECTURES = ("mlp", "cnn")
INITS = ("blog", "scaled")


@dataclasses.dataclass(frozen=True)
class MinibatchSpec(_Spec):
    """A part-II run: a multi- or central-threshold MLP or CNN trained with minibatches."""

    trainer: typing.ClassVar[str] = "mtneuron.minibatch:train"
    architecture: str
    kind: str
    batch_size: int
    init: str = "scaled"
    learning_rate: float = 0.001
    seed: int = BLOG_SEED
    n_epochs: int = 2
    n_examples: int = 55000
    average_every: int = 1100

    @property
    def filename(self):
        """``run_{architecture}_{kind}_{init}_b{batch}.json``, with ``_seed{seed}`` unless the blog's."""
        seed = "" if self.seed == BLOG_SEED else "_seed%d" % self.seed
        return "run_%s_%s_%s_b%d%s.json" % (self.architecture, self.kind, self.init, self.batch_size, seed)


def format_rate(learning_rate):
    """Learning rate as written in file names and tables: ``0.0005``, ``0.01``."""
    return "%g" % learning_rate


def spec_of(record, spec_type=RunSpec):
    """The spec (a ``RunSpec`` unless told otherwise) a record was made with."""
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
    return sorted(records, key=lambda record: json.dumps(record["spec"], sort_keys=True))
