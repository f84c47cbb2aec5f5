"""Shared test helpers: tiny generated MNIST files in the IDX format."""

import collections
import gzip
import hashlib
import os
import struct

import numpy as np
import pytest

from mtneuron import data
from tests.helpers import (
    QUICK_ARGS,
    QUICK_CLAIMS_ARGS,
    QUICK_COMPARE_ARGS,
    run_script,
)

TinyMnist = collections.namedtuple(
    "TinyMnist", ["directory", "train_images", "train_labels", "test_images", "test_labels",
                  "paths", "sha256"])


def idx_images(images, magic=data.IMAGES_MAGIC):
    """IDX3 bytes of uint8 ``(count, rows, cols)`` images: big-endian header, then pixels."""
    count, rows, cols = images.shape
    return struct.pack(">IIII", magic, count, rows, cols) + images.astype(np.uint8).tobytes()


def idx_labels(labels, magic=data.LABELS_MAGIC):
    """IDX1 bytes of uint8 ``(count,)`` labels: big-endian header, then labels."""
    return struct.pack(">II", magic, len(labels)) + labels.astype(np.uint8).tobytes()


def write_mnist(directory, n_train=20, n_test=10, gz=True, seed=0, shape=(28, 28)):
    """Write the four MNIST files with random content into ``directory``; return what was written.

    ``gz`` chooses ``name.gz`` or the raw ``name``; ``sha256`` holds the SHA-256 of each file's
    decompressed content, i.e. what ``mtneuron.data.SHA256`` holds for the real files.
    """
    rng = np.random.RandomState(seed)
    train_images = rng.randint(0, 256, size=(n_train,) + tuple(shape)).astype(np.uint8)
    train_labels = rng.randint(0, data.NUM_CLASSES, size=n_train).astype(np.uint8)
    test_images = rng.randint(0, 256, size=(n_test,) + tuple(shape)).astype(np.uint8)
    test_labels = rng.randint(0, data.NUM_CLASSES, size=n_test).astype(np.uint8)
    contents = {
        data.TRAIN_IMAGES: idx_images(train_images),
        data.TRAIN_LABELS: idx_labels(train_labels),
        data.TEST_IMAGES: idx_images(test_images),
        data.TEST_LABELS: idx_labels(test_labels),
    }
    directory = str(directory)
    os.makedirs(directory, exist_ok=True)
    paths = {}
    for name, content in contents.items():
        paths[name] = os.path.join(directory, name + (".gz" if gz else ""))
        with open(paths[name], "wb") as stream:
            stream.write(gzip.compress(content) if gz else content)
    sha256 = {name: hashlib.sha256(content).hexdigest() for name, content in contents.items()}
    return TinyMnist(directory, train_images, train_labels, test_images, test_labels, paths, sha256)


@pytest.fixture
def tiny_mnist(tmp_path):
    """Four tiny gzipped MNIST files (20 train, 10 test examples) in ``tmp_path/mnist``."""
    return write_mnist(tmp_path / "mnist")


@pytest.fixture
def make_mnist(tmp_path):
    """``make_mnist(subdir, **kwargs)`` runs ``write_mnist`` on ``tmp_path/subdir``."""
    def make(subdir, **kwargs):
        return write_mnist(tmp_path / subdir, **kwargs)
    return make


@pytest.fixture(scope="session")
def mnist_dir():
    """The real MNIST directory from ``$MTNEURON_DATA``; tests that need it skip without it."""
    directory = os.environ.get(data.DATA_ENV)
    if not directory or not all(os.path.exists(os.path.join(directory, name + ".gz"))
                                or os.path.exists(os.path.join(directory, name)) for name in data.SHA256):
        pytest.skip("real MNIST not available: set %s to a directory with the four files" % data.DATA_ENV)
    return directory


@pytest.fixture(scope="session")
def mnist(mnist_dir):
    """The real MNIST ``Datasets``, read once per test session."""
    return data.read_data_sets(mnist_dir)


@pytest.fixture(scope="session")
def quick_results(mnist_dir, tmp_path_factory):
    """A results directory from a quick two-process sweep (2 models x 2 learning rates)."""
    out = str(tmp_path_factory.mktemp("quick_results"))
    result = run_script(QUICK_ARGS + ["--out", out, "--jobs", "2"], mnist_dir)
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="session")
def quick_claims(mnist_dir, tmp_path_factory):
    """``(runs directory, claims.md)`` of a quick claims study (3 seeds at 2 rates, 1 seed at 0.1)."""
    out = tmp_path_factory.mktemp("quick_claims")
    paths = ["--out", str(out / "claims"), "--report", str(out / "claims.md")]
    result = run_script(QUICK_CLAIMS_ARGS + paths, mnist_dir, "claims")
    assert result.returncode == 0, result.stderr
    return str(out / "claims"), str(out / "claims.md")


@pytest.fixture(scope="session")
def quick_compare(mnist_dir, tmp_path_factory):
    """The directory of a quick comparison study (MLP, softmax regression and batch 1; 2 rates, 2 seeds)."""
    out = str(tmp_path_factory.mktemp("quick_compare") / "compare")
    result = run_script(QUICK_COMPARE_ARGS + ["--out", out], mnist_dir, "compare")
    assert result.returncode == 0, result.stderr
    return out
