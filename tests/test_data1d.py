"""data1d.py: MNIST-1D generated offline, the same arrays on both TensorFlows' interpreters (fingerprints),
numpy's and Python's global random state left as they were; data.load and data.centred."""

import hashlib
import random
import sys

import numpy as np
import pytest

from mtneuron import data, data1d

# SHA-256 of each part's float32 signals then its one-hot labels (the arrays training sees)
FINGERPRINTS = {
    "train": "050b2883fcb1058f6a8822c8ec7165312ea9cf5b6afea6c6504e1479ffd9a2b5",
    "validation": "567c3696512fa06a51757f105018686ee556728e5e7269f7c0b100aea62329e1",
    "test": "94fb55b9982c631db2e174189126a647c9a781145d6b4ad4b7b1c7d83b6c20d1",
}


def fingerprint(part):
    digest = hashlib.sha256(np.ascontiguousarray(part.images).tobytes())
    digest.update(np.ascontiguousarray(part.labels).tobytes())
    return digest.hexdigest()


def test_mnist1d_is_the_published_split_with_the_same_arrays_everywhere():
    sets = data.load("mnist1d")
    assert [len(part.images) for part in sets] == [3500, 500, 1000]
    assert sets.train.images.shape[1] == 40 and sets.train.images.dtype == np.float32
    assert (sets.train.images < 0).any() and (sets.train.images > 0).any()
    assert {name: fingerprint(getattr(sets, name)) for name in FINGERPRINTS} == FINGERPRINTS


def test_generating_mnist1d_leaves_the_global_random_states_as_they_were():
    np.random.seed(3)
    random.seed(3)
    data1d.generate()
    assert np.random.rand() == np.random.RandomState(3).rand()
    assert random.random() == random.Random(3).random()


def test_without_the_package_mnist1d_is_one_line_naming_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "mnist1d.data", None)
    with pytest.raises(data.DataError, match=r"pip install 'mtneuron\[mnist1d\]'"):
        data.load("mnist1d")


def test_unknown_data_sets_are_refused_naming_the_known_ones():
    with pytest.raises(data.DataError, match="mnist, mnist1d"):
        data.load("cifar")


def test_centred_inputs_have_the_training_means_subtracted_everywhere():
    sets = data.load("mnist1d")
    centred = data.centred(sets)
    mean = sets.train.images.mean(axis=0, dtype=np.float64)
    np.testing.assert_allclose(centred.train.images.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_array_equal(centred.test.images, sets.test.images - mean.astype(np.float32))
    assert all((new.labels == old.labels).all() for new, old in zip(centred, sets))
