"""The blog's two graphs: shapes, initialisation, loss and accuracy ops, and that they learn."""

import hashlib

import numpy as np
import pytest

from mtneuron.models import build_graph, make_network
from mtneuron.tf1 import tf

SHAPES = {
    "multi": {"W_01": (251, 784), "b_1": (251,), "W_12": (87, 251), "b_2": (87,),
              "W_23": (10, 87), "b_3": (10,)},
    "central": {"W_01": (784, 251), "b_1": (251,), "W_12": (251, 87), "b_2": (87,),
                "W_23": (87, 10), "b_3": (10,)},
}


def initial_values(model, seed):
    graph = build_graph(model, seed=seed)
    with tf.Session(graph=graph.graph) as session:
        session.run(graph.init)
        with graph.graph.as_default():
            variables = tf.trainable_variables()
        return {v.op.name: value for v, value in zip(variables, session.run(variables))}


@pytest.mark.parametrize("model", ["multi", "central"])
def test_graph_shapes_match_the_blog(model):
    graph = build_graph(model)
    assert graph.inputs.shape.as_list() == ([784] if model == "multi" else [1, 784])
    assert graph.target.shape.as_list() == [1, 10]
    assert graph.logits.shape.as_list() == [1, 10]
    hidden = [layer.shape.as_list() for layer in graph.hidden]
    assert hidden == ([[251], [87]] if model == "multi" else [[1, 251], [1, 87]])
    with graph.graph.as_default():
        shapes = {v.op.name: tuple(v.shape.as_list()) for v in tf.trainable_variables()}
        assert any(op.type == "ResourceApplyAdam" for op in graph.graph.get_operations())
    assert shapes == SHAPES[model]


@pytest.mark.parametrize("model", ["multi", "central"])
def test_seed_fixes_the_standard_normal_initialisation(model):
    first, again, other = (initial_values(model, seed) for seed in (21, 21, 22))
    for name, value in first.items():
        np.testing.assert_array_equal(value, again[name])
        assert not np.array_equal(value, other[name])
    weights = first["W_01"]
    assert abs(weights.mean()) < 0.01 and abs(weights.std() - 1.0) < 0.01


@pytest.mark.parametrize("model", ["multi", "central"])
def test_loss_and_accuracy_ops(model):
    graph = build_graph(model, hidden_sizes=(16, 8))
    x = np.random.RandomState(0).rand(784).astype(np.float32).reshape(graph.inputs.shape.as_list())
    target = np.eye(10, dtype=np.float32)[[3]]
    with tf.Session(graph=graph.graph) as session:
        session.run(graph.init)
        logits, loss, accuracy = session.run([graph.logits, graph.loss, graph.accuracy],
                                             feed_dict={graph.inputs: x, graph.target: target})
    shifted = logits[0] - logits[0].max()
    expected_loss = -(shifted[3] - np.log(np.exp(shifted).sum()))
    np.testing.assert_allclose(loss, expected_loss, rtol=1e-4)
    assert accuracy == float(np.argmax(logits[0]) == 3)


def test_unknown_model_is_refused():
    with pytest.raises(ValueError, match="unknown model"):
        build_graph("dendritic")
    with pytest.raises(ValueError, match="unknown model"):
        make_network("dendritic")


@pytest.mark.parametrize("model", ["multi", "central"])
def test_a_few_hundred_real_examples_lower_the_loss(model, mnist):
    graph = build_graph(model, learning_rate=0.001)
    shape, losses = graph.network.input_shape, []
    with tf.Session(graph=graph.graph) as session:
        session.run(graph.init)
        for index in range(300):
            losses.append(session.run([graph.train_op, graph.loss], feed_dict={
                graph.inputs: mnist.train.images[index].reshape(shape),
                graph.target: mnist.train.labels[index:index + 1]})[1])
    assert np.mean(losses[-100:]) < np.mean(losses[:100]) / 2


# SHA-256 of the initial parameters' little-endian float32 bytes, [W_01, b_1, ..., b_3] at seed 21, as
# TensorFlow 2.21 and 1.15.5 both draw them (the two models share it: multi's W are central's bytes,
# transposed shapes). The same test runs on both CI legs, so both start from the same network.
INITIAL_SHA256_SEED_21 = "ee25cd9673ce129047cf17decd82e316dc2c3915594b968d14749ea66376605d"


@pytest.mark.parametrize("model", ["multi", "central"])
def test_seed_21_draws_the_same_initial_weights_on_every_tensorflow(model):
    values = initial_values(model, 21)
    ordered = [values[name] for name in ("W_01", "b_1", "W_12", "b_2", "W_23", "b_3")]
    digest = hashlib.sha256(b"".join(np.ascontiguousarray(value, "<f4").tobytes() for value in ordered))
    assert digest.hexdigest() == INITIAL_SHA256_SEED_21, tf.version.VERSION


def test_every_initialiser_has_an_explicit_op_seed():
    """Without one, TensorFlow 1.15 derives op seeds from the op count, and a seed draws other weights."""
    graph = build_graph("multi", seed=5).graph
    seeds = [(op.get_attr("seed"), op.get_attr("seed2")) for op in graph.get_operations()
             if op.type == "RandomStandardNormal"]
    assert seeds == [(5, index) for index in range(6)]


def op_types(graph):
    """How many ops of each type ``graph`` holds."""
    types = [op.type for op in graph.get_operations()]
    return {kind: types.count(kind) for kind in set(types)}


def blogs_own_graph(model):
    """The blog's graph written out: placeholders, the network, its loss and accuracy, Adam's minimize."""
    from mtneuron.models import loss_and_accuracy

    network, graph = make_network(model), tf.Graph()
    with graph.as_default():
        tf.set_random_seed(21)
        inputs = tf.placeholder(tf.float32, shape=network.input_shape)
        logits, _ = network.forward(network.parameters(), inputs)
        loss, _ = loss_and_accuracy(logits, tf.placeholder(tf.float32, shape=(1, 10)))
        tf.train.AdamOptimizer(0.001).minimize(loss)
        tf.global_variables_initializer()
    return graph


@pytest.mark.parametrize("model", ["multi", "central"])
def test_without_measurements_the_graph_is_the_blogs_own(model):
    """Op for op the blog's graph: no measurement (they count with Sign), no control dependency on one."""
    unmeasured, measured = build_graph(model, measure=False), build_graph(model)
    assert unmeasured.measures is None and unmeasured.measure_names == ()
    assert op_types(unmeasured.graph) == op_types(blogs_own_graph(model))
    assert "Sign" in op_types(measured.graph) and "Sign" not in op_types(unmeasured.graph)
