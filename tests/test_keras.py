"""mtneuron.keras: the Keras 3 layers against the TF1 layers in value and gradient (on the TensorFlow and JAX
backends), against a NumPy reference where TF1 has no such layer, in a model that trains, saves and loads
(the one line where Keras 3 cannot be is test_layout's). Keras runs in processes of its own: the other
tests' mtneuron.tf1 turns TensorFlow's v2 behaviour off for theirs."""

import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

from tests import keras_cases
from tests.helpers import ROOT

BACKENDS = ("tensorflow", "jax", "torch")  # torch where installed (not in CI: pip install torch)


if sys.version_info < (3, 9) or importlib.util.find_spec("keras") is None:  # one line on the TF 1.15 leg
    pytest.skip("Keras 3 needs Python >= 3.9: mtneuron.keras is tested on the TensorFlow 2.x leg",
                allow_module_level=True)


def in_process(code, **environment):
    """Run ``code`` in a fresh interpreter in the repository; fail with its stderr."""
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            env=dict(os.environ, **environment))
    assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_the_keras_layers_equal_the_tf1_layers_in_value_and_gradient(backend, tmp_path):
    if importlib.util.find_spec(backend) is None:
        pytest.skip("the %s backend is not installed (pip install %s)" % (backend, backend))
    reference, candidate = str(tmp_path / "tf1.npz"), str(tmp_path / "keras.npz")
    in_process("from tests.keras_cases import tf1_reference; tf1_reference(%r)" % reference)
    in_process("from tests.keras_cases import keras_values; keras_values(%r)" % candidate,
               KERAS_BACKEND=backend)
    expected, actual = np.load(reference), np.load(candidate)
    assert sorted(expected.files) == sorted(actual.files) and len(actual.files) >= 20
    for name in expected.files:
        np.testing.assert_allclose(actual[name], expected[name], rtol=1e-4, atol=1e-4, err_msg=name)


def test_the_thresholded_convolution_equals_its_naive_sum():
    in_process("from tests.keras_cases import thresholded_convolution; thresholded_convolution()")


def test_a_model_with_both_layers_trains_saves_and_loads(tmp_path):
    in_process("from tests.keras_cases import model_round_trip; model_round_trip(%r)" % str(tmp_path))


def test_the_derived_init_centres_each_layer_with_unit_variance():
    in_process("from tests.keras_cases import derived_statistics; derived_statistics()")


def test_importing_the_keras_layers_leaves_tensorflows_v2_behaviour_on():
    code = ("import mtneuron.keras, sys\nimport tensorflow as tf\n"
            "assert 'mtneuron.tf1' not in sys.modules\nassert tf.executing_eagerly()\n")
    in_process(code, KERAS_BACKEND="tensorflow")


def test_the_cases_cover_every_weight():
    assert [len(keras_cases.arrays(case)) for case in keras_cases.DENSE] == [3, 4, 4]
    assert [len(keras_cases.arrays(case)) for case in keras_cases.CONV] == [3, 3]
