"""Paths and a runner for the command-line tests."""

import os
import subprocess
import sys

import numpy as np

from mtneuron.data import DataSet, Datasets, one_hot_encode

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "scripts", "reproduce_blog.py")
QUICK_ARGS = ["--learning-rates", "0.001", "0.01", "--epochs", "2", "--examples-per-epoch", "220",
              "--test-examples", "100", "--no-progress"]


def run_script(args, data_dir):
    """Run scripts/reproduce_blog.py with ``args`` and MNIST from ``data_dir`` (None: unset)."""
    env = dict(os.environ)
    env.pop("MTNEURON_DATA", None)
    if data_dir is not None:
        env["MTNEURON_DATA"] = data_dir
    return subprocess.run([sys.executable, SCRIPT] + args, capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=900)


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
