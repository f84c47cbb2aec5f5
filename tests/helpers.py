"""Paths and a runner for the command-line tests."""

import os
import subprocess
import sys
import threading

import numpy as np

from mtneuron.blog_runs import RunSpec
from mtneuron.data import DataSet, Datasets, one_hot_encode

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "scripts", "reproduce_blog.py")
MTNEURON = [sys.executable, "-m", "mtneuron"]  # the one command line, as an installed user runs it
QUICK_CLAIMS_ARGS = ["--learning-rates", "0.001", "0.01", "--seeds", "1-3", "--grid-rates", "0.001", "0.1",
                     "--grid-seeds", "1", "--epochs", "1", "--examples-per-epoch", "220", "--test-examples",
                     "100", "--no-progress"]
QUICK_COMPARE_ARGS = ["--groups", "mlp", "linear", "--batch-sizes", "32", "--learning-rates", "0.001", "0.01",
                      "--seeds", "1-2", "--mnist-max-epochs", "2", "--mnist-patience", "1",
                      "--mnist1d-max-epochs", "2", "--mnist1d-patience", "1", "--examples-per-epoch", "256",
                      "--extensions", "0", "--longer", "0", "--no-progress"]
QUICK_ARGS = ["--learning-rates", "0.001", "0.01", "--epochs", "2", "--examples-per-epoch", "220",
              "--test-examples", "100", "--no-progress"]


def run_script(args, data_dir, command=None):
    """Run ``mtneuron <command>`` (scripts/reproduce_blog.py when None) with ``args`` and MNIST from
    ``data_dir`` (None: unset)."""
    env = dict(os.environ)
    env.pop("MTNEURON_DATA", None)
    if data_dir is not None:
        env["MTNEURON_DATA"] = data_dir
    program = [sys.executable, SCRIPT] if command is None else MTNEURON + [command]
    return subprocess.run(program + args, capture_output=True, text=True, env=env, cwd=ROOT, timeout=900)


def synthetic(n=60, seed=0, poison=False):
    """Random 'images' whose class is the brightest of ten pixel blocks (learnable)."""
    rng = np.random.RandomState(seed)
    labels = rng.randint(0, 10, n)
    images = rng.rand(n, 784).astype(np.float32) * 0.1
    for row, label in enumerate(labels):
        images[row, label * 78:(label + 1) * 78] += 0.9
    if poison:
        images[:] = np.inf
    return DataSet(images, one_hot_encode(labels))


def synthetic_datasets(**kwargs):
    """Synthetic train and test sets shaped like MNIST; ``poison=True`` makes every loss NaN."""
    return Datasets(train=synthetic(**kwargs), validation=None, test=synthetic(n=30, seed=1))


def fake_record(model, learning_rate, seed, accuracy, loss=1.0, gap=0.01, measures=None, points=4,
                measure=True):
    """A complete run record with flat curves, made without training (for report and claims tests);
    ``measure=False`` as the blog sweep makes it."""
    from mtneuron.run.records import SCHEMA_VERSION

    spec = RunSpec(model=model, learning_rate=learning_rate, seed=seed, engine="fast", measure=measure)
    return {
        "n_examples": spec.n_examples, "n_epochs": spec.n_epochs, "learning_rate": learning_rate,
        "losses": [loss] * points, "accuracies": [accuracy] * points, "accuracy": accuracy,
        "train_accuracy": accuracy + gap, "train_test_gap": gap,
        "measurements": {name: [value] * points for name, value in (measures or {}).items()},
        "model": model, "seed": seed, "hidden_sizes": list(spec.hidden_sizes), "engine": "fast",
        "average_every": spec.n_examples * spec.n_epochs // points, "test_examples": spec.test_examples,
        "steps": spec.n_examples * spec.n_epochs, "diverged": False, "examples_per_second": 5000.0,
        "train_time_s": 40.0, "wall_time_s": 45.0, "started_at": 1.7e9 + seed,
        "finished_at": 1.7e9 + seed + 45,
        "threads": 1, "command": "python scripts/claims.py", "spec": spec.to_dict(), "measured": measure,
        "schema_version": SCHEMA_VERSION, "status": "complete",
    }



class UnpicklableError(RuntimeError):
    """Holds a lock, as TensorFlow's errors hold graph objects: pickling it fails."""

    def __init__(self, message):
        super().__init__(message)
        self.lock = threading.RLock()


def fail_to_train(spec, datasets, context):
    """A trainer that fails at once with an error no process boundary can carry."""
    raise UnpicklableError("Input 1 to node while/strided_slice must be a compile-time constant\n"
                           "\tdetails on a second line")
