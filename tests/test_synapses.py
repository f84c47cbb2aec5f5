"""synapses.py: the compiled and the chunked per-synapse sums against the naive ``(batch, in, out)``
broadcast, in value and in gradient, for every activation, with and without thresholds, with exact
zeros and both signs, for batches that fill their groups and batches that do not."""

import numpy as np
import pytest

from mtneuron import layers, synapses, xla
from mtneuron.tf1 import tf

IN, OUT = 6, 4
ACTIVATIONS = [tf.nn.relu, tf.nn.sigmoid, tf.nn.tanh, tf.nn.softplus, layers.heaviside_step]
needs_xla = pytest.mark.skipif(not xla.available(), reason="this TensorFlow build has no XLA")
PATHS = [pytest.param(path, marks=needs_xla) for path in (synapses.lit_sums, synapses.compiled_sums)]
PATHS += [synapses.chunked_sums]


def example(seed, batch):
    """Inputs, kernel, thresholds and an upstream gradient with exact zeros, both signs and pre-activations
    of exactly 0 (a zero input against a zero threshold, a zero weight against a zero threshold)."""
    rng = np.random.RandomState(seed)
    x = rng.randn(batch, IN)
    x[:, 2] = 0.0
    x[0, 0] = 0.0
    kernel = rng.randn(IN, OUT)
    kernel[1, :] = 0.0
    thresholds = 0.3 * rng.randn(IN, OUT)
    thresholds[0, :] = thresholds[1, :] = 0.0
    return x, kernel, thresholds, rng.randn(batch, OUT)


def values_and_gradients(sums, values, use_thresholds):
    """``sums(x, kernel, thresholds)`` and its gradients, the batch size unknown to the graph, in float64."""
    x, kernel, thresholds, upstream = values
    with tf.Graph().as_default():
        tx = tf.placeholder(tf.float64, (None, IN))
        tk, tt = tf.constant(kernel), tf.constant(thresholds) if use_thresholds else None
        out = sums(tx, tk, tt)
        assert out.shape.as_list() == [None, OUT]
        wrt = [tx, tk] + ([tt] if use_thresholds else [])
        gradients = tf.gradients(out, wrt, grad_ys=tf.constant(upstream))
        with tf.Session() as session:
            return session.run([out] + gradients, {tx: x})


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("use_thresholds", [False, True])
@pytest.mark.parametrize("batch,max_elements", [(5, 2 * IN * OUT), (6, 2 * IN * OUT), (1, 7), (4, 10**6)])
def test_equals_the_naive_broadcast(path, activation, use_thresholds, batch, max_elements):
    """Groups (or chunks) of 2 examples over 5 and 6 examples, of 1 over 1, one group for all."""
    values = example(batch, batch)
    got = values_and_gradients(lambda x, k, t: path(x, k, t, activation, max_elements), values,
                               use_thresholds)
    want = values_and_gradients(lambda x, k, t: synapses.naive_sums(activation, x, k, t), values,
                                use_thresholds)
    for actual, expected in zip(got, want):
        np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-12)


@needs_xla
def test_compiled_path_is_xla_and_keeps_no_synapse_tensor_outside_it():
    """Every op on a ``(batch, in, out)`` term lives inside the XLA clusters; outside them only the
    layer's operands, results and gradients."""
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, (None, IN))
        out = synapses.synapse_sums(x, tf.ones((IN, OUT)), tf.zeros((IN, OUT)), tf.nn.sigmoid)
        tf.gradients(out, [x])
        operations = tf.get_default_graph().get_operations()
        compiled = [op for op in operations if "_xla_compile_id" in op.node_def.attr]
        outside = [op for op in operations if op not in compiled]
    assert compiled
    assert not [op for op in outside for tensor in op.outputs if tensor.shape.ndims == 3]


def test_chunked_backward_pass_keeps_no_per_chunk_stacks():
    """A differentiated tf.while_loop would stack every chunk's synapses; the custom gradient does not."""
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, (None, IN))
        out = synapses.chunked_sums(x, tf.ones((IN, OUT), tf.float64), tf.zeros((IN, OUT), tf.float64),
                                    tf.nn.tanh, max_elements=7)
        tf.gradients(out, [x])
        types = [op.type for op in tf.get_default_graph().get_operations()]
    assert "While" in types or "Enter" in types
    assert not [kind for kind in types if kind.startswith("Stack")]


def test_without_xla_the_chunked_path_is_taken_and_said_once(monkeypatch, capsys):
    monkeypatch.setattr(xla, "available", lambda config=None: False)
    monkeypatch.setattr(synapses, "_WARNED", [])
    with tf.Graph().as_default():
        for _ in range(2):
            synapses.synapse_sums(tf.ones((2, IN)), tf.ones((IN, OUT)), None, tf.nn.sigmoid)
        types = [op.type for op in tf.get_default_graph().get_operations()]
    assert capsys.readouterr().err.count("has no XLA") == 1
    assert "TensorArrayV3" in types and not [op for op in types if op.startswith("Xla")]


@needs_xla
@pytest.mark.parametrize("bucket", [1, 5])
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("use_thresholds", [False, True])
def test_unlit_columns_add_their_share_exactly(monkeypatch, bucket, activation, use_thresholds):
    """Columns zero in every example (2 and 4 here) leave the per-synapse work: with buckets of 1 both
    do, with buckets of 5 column 4 does; values and every gradient stay the naive broadcast's."""
    monkeypatch.setattr(synapses, "LIT_BUCKET", bucket)
    values = example(7, 5)
    values[0][:, 4] = 0.0
    got = values_and_gradients(lambda x, k, t: synapses.lit_sums(x, k, t, activation), values, use_thresholds)
    want = values_and_gradients(lambda x, k, t: synapses.naive_sums(activation, x, k, t), values,
                                use_thresholds)
    for actual, expected in zip(got, want):
        np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("bucket,expected", [(1, [0, 1, 3, 5]), (4, [0, 1, 3, 5]), (5, [0, 1, 3, 5, 2]),
                                             (64, [0, 1, 3, 5, 2, 4])])
def test_lit_columns_come_first_padded_to_the_bucket(monkeypatch, bucket, expected):
    monkeypatch.setattr(synapses, "LIT_BUCKET", bucket)
    x = np.zeros((3, IN))
    x[0, 0], x[1, 3], x[2, 1], x[2, 5] = 1.0, -2.0, 0.5, 3.0
    with tf.Graph().as_default():
        inputs = tf.placeholder(tf.float64, (None, IN))
        with tf.Session() as session:
            assert list(session.run(synapses._lit_order(inputs, IN), {inputs: x})) == expected
