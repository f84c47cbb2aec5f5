"""mtneuron.measurements: a step's measurements against direct counts; the frozen weights against the
gradients of every training image."""

import numpy as np
import pytest

from mtneuron import measurements
from mtneuron.models import build_graph, make_network
from mtneuron.tf1 import tf


@pytest.mark.parametrize("model", ["multi", "central"])
def test_measurements_match_direct_counts(model):
    """The per-step measures equal counts on the real tensors: units, synapses, gradient entries."""
    graph = build_graph(model, hidden_sizes=(12, 6), seed=3)
    rng = np.random.RandomState(0)
    image = np.where(rng.rand(784) < 0.6, 0.0, rng.rand(784)).astype(np.float32)  # MNIST-like zeros
    feed = {graph.inputs: image.reshape(graph.inputs.shape.as_list()),
            graph.target: np.eye(10, dtype=np.float32)[[4]]}
    with graph.graph.as_default():
        gradients = tf.gradients(graph.loss, graph.parameters)
    with tf.Session(graph=graph.graph) as session:
        session.run(graph.init)
        measures, hidden, weights, gradients = session.run(
            [graph.measures, graph.hidden, graph.parameters[::2], gradients[::2]], feed)
    measured = dict(zip(graph.measure_names, measures))
    signals = [image] + [np.ravel(output) for output in hidden]
    expected = {}
    for layer, output in enumerate(hidden, 1):
        expected["units_nonzero_%d" % layer] = np.mean(output != 0)
        expected["units_positive_%d" % layer] = np.mean(output > 0)
        if model == "multi":
            expected["synapses_positive_%d" % layer] = np.mean(weights[layer - 1] * signals[layer - 1] > 0)
    for layer, gradient in enumerate(gradients):
        expected["gradient_nonzero_W_%d%d" % (layer, layer + 1)] = np.mean(gradient != 0)
    assert sorted(measured) == sorted(expected)
    for name, value in expected.items():
        assert measured[name] == pytest.approx(value, abs=1e-6), name
    assert 0 < expected["gradient_nonzero_W_01"] < 1  # zeros in the input leave zero gradients


@pytest.mark.parametrize("model,signed", [("multi", False), ("multi", True), ("central", False)])
def test_frozen_weights_are_exactly_those_no_training_image_gives_a_gradient(model, signed):
    """Against autodiff: a first-layer weight is frozen iff its gradient (for a random upstream
    gradient) is zero on every image (never-lit pixels; multi's W x <= 0; central's inactive units);
    every later weight can change."""
    graph = build_graph(model, hidden_sizes=(12, 6), seed=3)
    rng = np.random.RandomState(4)
    images = rng.rand(15, 784).astype(np.float32) * (rng.rand(784) < 0.6)  # 40% of pixels never lit
    if signed:
        images *= np.where(rng.rand(15, 784) < 0.3, -1.0, 1.0).astype(np.float32)
    with graph.graph.as_default():
        first = graph.hidden[0]
        upstream = tf.constant(rng.randn(*first.shape.as_list()), tf.float32)
        gradient = tf.gradients(first, graph.parameters[0], grad_ys=upstream)[0]
    with tf.Session(graph=graph.graph) as session:
        session.run(graph.init)
        initial = session.run(graph.parameters)
        moved = np.zeros(initial[0].shape, bool)
        for image in images:
            moved |= session.run(gradient, {graph.inputs: image.reshape(graph.inputs.shape.as_list())}) != 0
    masks = measurements.frozen_weights(make_network(model, (12, 6)), initial, images)
    np.testing.assert_array_equal(masks[0], ~moved)
    assert 0.35 < masks[0].mean() < 0.95 and (masks[0].mean() > 0.6) == (model == "multi" and not signed)
    assert not any(mask.any() for mask in masks[1:])
