"""The blog's batch-1 layer against its worked example and an explicit per-synapse loop."""

import numpy as np
import pytest

from mtneuron.layers import multi_threshold_neuron_layer
from mtneuron.tf1 import tf


def run(fetches, feed=None):
    with tf.Session(graph=tf.get_default_graph()) as session:
        return session.run(fetches, feed_dict=feed)


def test_blog_worked_example_gives_8_13():
    with tf.Graph().as_default():
        output = multi_threshold_neuron_layer(
            tf.constant([2, 5, 1]), tf.constant([[3, -2, 0], [-4, 2, 4]]), tf.constant([2, -1]))
        assert output.shape.as_list() == [2]
        np.testing.assert_array_equal(run(output), [8, 13])


def per_synapse(x, weights, bias, upstream):
    """out_j = sum_i relu(W_ji x_i) + b_j and its gradients, one synapse at a time."""
    rows, cols = weights.shape
    out = bias.astype(np.float64).copy()
    grad_x, grad_w = np.zeros(cols), np.zeros((rows, cols))
    for j in range(rows):
        for i in range(cols):
            z = weights[j, i] * x[i]
            out[j] += max(z, 0.0)
            if z > 0:  # TensorFlow's ReLU derivative is 0 at 0
                grad_x[i] += upstream[j] * weights[j, i]
                grad_w[j, i] = upstream[j] * x[i]
    return out, grad_x, grad_w, upstream.copy()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_layer_matches_per_synapse_loop_in_values_and_gradients(seed):
    rng = np.random.RandomState(seed)
    x = rng.randn(13)
    x[[2, 7]] = 0.0  # exact zeros: no synapse fires, no gradient flows
    weights = rng.randn(5, 13)
    weights[1, 3] = 0.0
    bias, upstream = rng.randn(5), rng.randn(5)
    with tf.Graph().as_default():
        tx, tw, tb = (tf.constant(v, dtype=tf.float64) for v in (x, weights, bias))
        out = multi_threshold_neuron_layer(tx, tw, tb)
        gradients = tf.gradients(tf.reduce_sum(out * upstream), [tx, tw, tb])
        got = run([out] + gradients)
    for actual, expected in zip(got, per_synapse(x, weights, bias, upstream)):
        np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-12)


def test_layer_takes_other_activations():
    with tf.Graph().as_default():
        output = multi_threshold_neuron_layer(
            tf.constant([1.0, -2.0]), tf.constant([[1.0, 1.0]]), tf.constant([0.5]),
            activation=tf.nn.sigmoid)
        expected = 1 / (1 + np.exp(-1.0)) + 1 / (1 + np.exp(2.0)) + 0.5
        np.testing.assert_allclose(run(output), [expected], rtol=1e-6)
