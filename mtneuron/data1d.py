"""MNIST-1D (Greydanus 2020): 1-D signals of 40 points with both signs, ten classes, generated offline.

``make_dataset`` of the ``mnist1d`` package with its published arguments (5,000 signals, seed 42): the
4,000 training signals (the last 500 held out for validation) and 1,000 test signals everyone
reports on. Never its download path; its use of numpy's and Python's global random state is undone.
"""

import random

import numpy as np

from mtneuron.data import DataError, DataSet, Datasets, one_hot_encode

VALIDATION_SIGNALS = 500  # the last training signals, held out for validation


def read_mnist1d(seed=None):
    """MNIST-1D as ``Datasets``: float32 signals ``(N, 40)``, one-hot labels; ``seed`` as in
    ``data.read_data_sets``."""
    arrays = generate()
    train = len(arrays["x"]) - VALIDATION_SIGNALS

    def make(signals, labels, offset):
        return DataSet(signals.astype(np.float32), one_hot_encode(labels),
                       None if seed is None else seed + offset)

    return Datasets(train=make(arrays["x"][:train], arrays["y"][:train], 0),
                    validation=make(arrays["x"][train:], arrays["y"][train:], 1),
                    test=make(arrays["x_test"], arrays["y_test"], 2))


def generate():
    """``mnist1d.data.make_dataset`` with its default (published) arguments, numpy's and Python's global
    random states put back as they were."""
    try:
        from mnist1d.data import get_dataset_args, make_dataset
    except ImportError:
        raise DataError("MNIST-1D needs the mnist1d package: pip install 'mtneuron[mnist1d]'") from None
    numpy_state, python_state = np.random.get_state(), random.getstate()
    try:
        return make_dataset(get_dataset_args())
    finally:
        np.random.set_state(numpy_state)
        random.setstate(python_state)
