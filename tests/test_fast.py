"""mtneuron.train.fast: the fast engine's first layer against the blog's layer, in value and gradient.
(The engine's trajectory against the faithful loop is in test_engine.py.)"""

import numpy as np
import pytest

from mtneuron.models import build_graph
from mtneuron.tf1 import tf
from mtneuron.train import fast


@pytest.mark.parametrize("model", ["multi", "central"])
def test_fast_first_layer_equals_the_blog_layer_in_value_and_gradient(model):
    """One matrix product on an image >= 0, with the dense gradient built by hand, changes nothing
    but the order of the sums: outputs, positive-synapse fractions and gradients as autodiff's."""
    graph = build_graph(model, hidden_sizes=(12, 6), seed=5)
    rng = np.random.RandomState(1)
    image = np.where(rng.rand(784) < 0.7, 0.0, rng.rand(784)).astype(np.float32)
    upstream = rng.randn(12).astype(np.float32)
    with graph.graph.as_default():
        weights, bias = graph.parameters[:2]
        inputs = tf.constant(image.reshape(graph.inputs.shape.as_list()))
        blog = graph.network.forward(graph.parameters, inputs)[1][0]
        blog_gradients = tf.gradients(tf.reshape(blog, (-1,)), [weights, bias], grad_ys=upstream)
        by_output = weights if graph.network.weights_out_by_in else tf.transpose(weights)
        output, positive, gradients = fast.FIRST_LAYERS[model](by_output, bias, tf.constant(image))
        gradients = gradients(tf.constant(upstream))
        if not graph.network.weights_out_by_in:
            gradients = [tf.transpose(gradients[0]), gradients[1]]
        assert (positive is None) == (model == "central")  # the central layer has no synapse measure
        positive = tf.zeros(0) if positive is None else positive
    with tf.Session(graph=graph.graph) as session:
        session.run(graph.init)
        blog, output, blog_gradients, gradients, weights, positive = session.run(
            [blog, output, blog_gradients, gradients, weights, positive])
    np.testing.assert_allclose(output, np.ravel(blog), rtol=1e-5, atol=1e-4)
    for expected, actual in zip(blog_gradients, gradients):
        np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-6)
    assert np.count_nonzero(gradients[0]) > 0
    if model == "multi":
        np.testing.assert_allclose(positive, np.mean(weights * image > 0, axis=1), rtol=1e-6)
