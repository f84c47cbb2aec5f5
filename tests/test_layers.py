"""layers.py: the blog's batch-1 layer against its worked example and an explicit per-synapse loop; the
batched multi-threshold layers and modules against the naive per-synapse broadcast, in float64."""

import numpy as np
import pytest

from mtneuron import layers
from mtneuron.layers import multi_threshold_neuron_layer
from mtneuron.tf1 import tf

IN, OUT = 5, 4


def run(fetches, feed=None):
    """Run ``fetches`` in a session on the default graph."""
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


def example(seed, batch=3, nonnegative=False):
    """Inputs, kernel, bias, thresholds and upstream gradients with exact zeros and both signs."""
    rng = np.random.RandomState(seed)
    x = rng.randn(batch, IN)
    x[:, 2] = 0.0
    x[0, 0] = 0.0
    kernel = rng.randn(IN, OUT)
    kernel[1, :] = 0.0
    kernel[3, 2] = 0.0
    thresholds = 0.3 * rng.randn(IN, OUT)
    thresholds[0, :] = 0.0  # with x[0, 0] = 0: pre-activations of exactly 0
    x = np.abs(x) if nonnegative else x
    return x, kernel, rng.randn(OUT), thresholds, rng.randn(batch, OUT)


def naive(activation, x, kernel, bias, thresholds=None):
    """``sum_i act(x_bi W_ij - T_ij) + b_j`` through the whole ``(batch, in, out)`` tensor."""
    synapses = x[:, :, None] * kernel[None]
    if thresholds is not None:
        synapses = synapses - thresholds[None]
    return tf.reduce_sum(activation(synapses), axis=1) + bias


def outputs_and_gradients(layer, values, use_thresholds):
    """Run ``layer(x, kernel, bias, thresholds)`` with an unknown batch size; its value and gradients."""
    x, kernel, bias, thresholds, upstream = values
    tx = tf.placeholder(tf.float64, (None, IN))
    tu = tf.placeholder(tf.float64, (None, OUT))
    tk, tb, tt = (tf.constant(value) for value in (kernel, bias, thresholds))
    out = layer(tx, tk, tb, tt if use_thresholds else None)
    wrt = [tx, tk, tb] + ([tt] if use_thresholds else [])
    return run([out] + tf.gradients(tf.reduce_sum(out * tu), wrt), {tx: x, tu: upstream})


def assert_all_close(actual, expected):
    """Each array equals its counterpart up to float64 round-off (sums may be ordered differently)."""
    assert len(actual) == len(expected)
    for got, want in zip(actual, expected):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def compare_with_naive(activation, values, use_thresholds, **options):
    """Values and gradients of ``multi_threshold_dense`` and of the naive broadcast, in one graph."""
    with tf.Graph().as_default():
        got = outputs_and_gradients(lambda x, k, b, t: layers.multi_threshold_dense(
            x, k, b, activation, t, **options), values, use_thresholds)
        want = outputs_and_gradients(lambda x, k, b, t: naive(activation, x, k, b, t), values, use_thresholds)
    assert_all_close(got, want)


def op_types():
    """The types of every op in the default graph, to check which path was built."""
    return [op.type for op in tf.get_default_graph().get_operations()]


@pytest.mark.parametrize("seed", [0, 1])
def test_relu_path_is_two_matmuls_matching_the_broadcast(seed):
    """ReLU without thresholds: the identity's two products, exact at zeros."""
    compare_with_naive(tf.nn.relu, example(seed), False)
    with tf.Graph().as_default():
        layers.multi_threshold_dense(tf.ones((2, IN)), tf.ones((IN, OUT)))
        assert op_types().count("MatMul") == 2
        assert "While" not in op_types() and "Enter" not in op_types()


def test_nonnegative_inputs_path_is_one_matmul_matching_the_broadcast():
    """Inputs >= 0 (some exactly 0): one product suffices."""
    compare_with_naive(tf.nn.relu, example(2, nonnegative=True), False, nonnegative_inputs=True)
    with tf.Graph().as_default():
        layers.multi_threshold_dense(tf.ones((2, IN)), tf.ones((IN, OUT)), nonnegative_inputs=True)
        assert op_types().count("MatMul") == 1


ACTIVATIONS = [tf.nn.sigmoid, tf.nn.tanh, tf.nn.softplus, layers.heaviside_step]


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("use_thresholds", [False, True])
def test_general_path_matches_the_broadcast(activation, use_thresholds):
    """Other activations go through the per-synapse path (``synapses``) and its custom gradient."""
    compare_with_naive(activation, example(3), use_thresholds)


def test_relu_with_thresholds_matches_the_broadcast():
    """Thresholds force the general path even for ReLU."""
    compare_with_naive(tf.nn.relu, example(4), True)


@pytest.mark.parametrize("activation", [tf.nn.relu, tf.nn.sigmoid])
def test_unknown_batch_size_takes_two_batch_sizes(activation):
    """One graph with a ``None`` batch serves batches of 1 and 6."""
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, (None, IN))
        thresholds = None if activation is tf.nn.relu else tf.zeros((IN, OUT), tf.float64)  # two paths
        out = layers.multi_threshold_dense(x, tf.ones((IN, OUT), tf.float64), activation=activation,
                                           thresholds=thresholds, max_elements=12)
        assert out.shape.as_list() == [None, OUT]
        expected = naive(activation, x, tf.ones((IN, OUT), tf.float64), 0.0)
        gradients = tf.gradients(out, x) + tf.gradients(expected, x)
        for batch in (1, 6):
            values = np.random.RandomState(batch).randn(batch, IN)
            got, want, got_gradient, want_gradient = run([out, expected] + gradients, {x: values})
            assert got.shape == (batch, OUT) and got_gradient.shape == (batch, IN)
            assert_all_close([got, got_gradient], [want, want_gradient])


@pytest.mark.parametrize("activation", [tf.nn.relu, lambda v: tf.nn.relu(v)])  # two matmuls; per-synapse
def test_batched_layer_gives_the_blog_worked_example(activation):
    """The blog's example by the two-product path and by the per-synapse one."""
    with tf.Graph().as_default():
        out = layers.multi_threshold_dense(
            tf.constant([[2.0, 5.0, 1.0]]), tf.constant([[3.0, -4.0], [-2.0, 2.0], [0.0, 4.0]]),
            tf.constant([2.0, -1.0]), activation=activation)
        np.testing.assert_array_equal(run(out), [[8.0, 13.0]])


@pytest.mark.parametrize("slope", [1.0, 3.0])
def test_heaviside_step_is_exact_with_the_sigmoid_surrogate_gradient(slope):
    """Step forward (0 at 0); gradient ``slope * s * (1 - s)``."""
    x = np.array([-2.0, -1e-300, 0.0, 1e-300, 0.5, 3.0])
    step = layers.heaviside_step if slope == 1.0 else layers.heaviside_step_with_slope(slope)
    with tf.Graph().as_default():
        tx = tf.constant(x)
        out = step(tx)
        value, gradient = run([out, tf.gradients(tf.reduce_sum(out * np.arange(6.0)), tx)[0]])
    np.testing.assert_array_equal(value, [0, 0, 0, 1, 1, 1])
    sigmoid = 1 / (1 + np.exp(-slope * x))
    np.testing.assert_allclose(gradient, np.arange(6.0) * slope * sigmoid * (1 - sigmoid), rtol=1e-12)


def naive_conv(x, filters, strides, padding, bias):
    """``sum`` over each receptive field of ``relu(K * x)`` from the image patches, synapse by synapse."""
    kh, kw, channels, out = filters.shape.as_list()
    patches = tf.extract_image_patches(x, [1, kh, kw, 1], [1, strides, strides, 1], [1, 1, 1, 1], padding)
    synapses = patches[..., None] * tf.reshape(filters, (kh * kw * channels, out))
    return tf.reduce_sum(tf.nn.relu(synapses), axis=-2) + bias


@pytest.mark.parametrize("padding", ["VALID", "SAME"])
@pytest.mark.parametrize("strides", [1, 2])
def test_conv_matches_per_synapse_patches(padding, strides):
    """The convolution identity against patches multiplied synapse by synapse."""
    rng = np.random.RandomState(strides)
    x, filters, bias = rng.randn(2, 5, 6, 3), rng.randn(3, 2, 3, 4), rng.randn(4)
    x[0, 1, :, :] = x[1, :, 2, 0] = 0.0
    filters[1, 0, :, :] = filters[0, 1, 2, 3] = 0.0
    stride_argument = strides if strides == 1 else [1, strides, strides, 1]  # an int and tf.nn.conv2d's list
    with tf.Graph().as_default():
        tx, tf_filters, tb = (tf.constant(value) for value in (x, filters, bias))
        got = layers.multi_threshold_conv2d(tx, tf_filters, stride_argument, padding, tb)
        want = naive_conv(tx, tf_filters, strides, padding, tb)
        upstream = rng.randn(*got.shape.as_list())
        wrt = [tx, tf_filters, tb]
        got_values, want_values = run([[out] + tf.gradients(tf.reduce_sum(out * upstream), wrt)
                                       for out in (got, want)])
    assert got_values[0].shape == want_values[0].shape
    assert_all_close(got_values, want_values)


def dense_inputs(batch=3):
    """Random ``(batch, IN)`` inputs."""
    return np.random.RandomState(batch).randn(batch, IN)


@pytest.mark.parametrize("thresholds", [False, True])
def test_multi_threshold_dense_module_creates_variables_once(thresholds):
    """The second call reuses the first call's variables."""
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, (None, IN))
        module = layers.MultiThresholdDense(OUT, activation=tf.nn.softplus if thresholds else tf.nn.relu,
                                            thresholds=thresholds)
        first = module(x)
        created = tf.global_variables()
        second = module(x * 2.0)
        assert tf.global_variables() == created == list(module.variables)
        assert [v.shape.as_list() for v in module.variables] == [[IN, OUT], [OUT]] + [[IN, OUT]] * thresholds
        assert module.kernel.name.startswith("multi_threshold_dense/kernel")
        assert (module.thresholds is not None) == thresholds
        expected = layers.multi_threshold_dense(x * 2.0, module.kernel, module.bias, module.activation,
                                                module.thresholds)
        with tf.Session() as session:
            session.run(tf.global_variables_initializer())
            one, two, want = session.run([first, second, expected], {x: dense_inputs()})
    assert one.shape == (3, OUT)
    np.testing.assert_allclose(two, want, rtol=1e-12)
    assert not np.allclose(one, two)


def test_two_modules_get_their_own_scopes_and_initializers():
    """Separate modules, separate variables; He scaling by default."""
    with tf.Graph().as_default():
        x = tf.constant(dense_inputs())
        first = layers.MultiThresholdDense(OUT, kernel_initializer=tf.constant_initializer(0.5))
        second = layers.MultiThresholdDense(OUT)
        first(x)
        second(x)
        assert first.kernel.name != second.kernel.name
        assert len(tf.global_variables()) == 4
        wide = layers.CentralThresholdDense(50, use_bias=False)
        wide(tf.zeros((1, 400), tf.float64))
        assert wide.variables == (wide.kernel,)
        with tf.Session() as session:
            session.run(tf.global_variables_initializer())
            constant, he = session.run([first.kernel, wide.kernel])
    np.testing.assert_array_equal(constant, np.full((IN, OUT), 0.5))
    assert abs(he.std() / np.sqrt(2.0 / 400) - 1) < 0.1  # He: variance 2 / fan_in


def test_central_threshold_dense_module_is_relu_of_the_affine_map():
    """The central twin is ``relu(x @ W + b)``."""
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, (None, IN))
        module = layers.CentralThresholdDense(OUT)
        out = module(x)
        module(x)
        assert len(tf.global_variables()) == 2
        want = tf.nn.relu(tf.matmul(x, module.kernel) + module.bias)
        with tf.Session() as session:
            session.run([module.bias.assign(np.linspace(-1, 1, OUT)), module.kernel.initializer])
            got, expected = session.run([out, want], {x: dense_inputs(4)})
    assert got.shape == (4, OUT) and (got == 0).any() and (got > 0).any()
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("padding, spatial", [("SAME", [3, 3]), ("VALID", [2, 2])])
def test_conv_modules_create_variables_once_and_match_the_functions(padding, spatial):
    """Conv modules: kernel shapes, output shapes, reuse."""
    x_values = np.random.RandomState(0).randn(2, 6, 5, 3)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, (None, 6, 5, 3))
        multi = layers.MultiThresholdConv2D(4, 3, strides=2, padding=padding)
        central = layers.CentralThresholdConv2D(4, (3, 2), strides=2, padding=padding)
        outputs = [multi(x), central(x), multi(x), central(x)]
        assert len(tf.global_variables()) == 4
        assert multi.kernel.shape.as_list() == [3, 3, 3, 4] and central.kernel.shape.as_list() == [3, 2, 3, 4]
        assert multi.bias.shape.as_list() == [4] and multi.thresholds is None
        expected = [layers.multi_threshold_conv2d(x, multi.kernel, [1, 2, 2, 1], padding, multi.bias),
                    tf.nn.relu(tf.nn.conv2d(x, central.kernel, [1, 2, 2, 1], padding) + central.bias)]
        with tf.Session() as session:
            session.run(tf.global_variables_initializer())
            got = session.run(outputs + expected, {x: x_values})
    for value in got:
        assert value.shape == tuple([2] + spatial + [4])
    first_call, second_call, functions = got[:2], got[2:4], got[4:]
    assert_all_close(first_call, second_call)
    assert_all_close(first_call, functions)


def test_crelu_layer_matches_its_sum_of_two_bases_in_values_and_gradients():
    """``relu(x) @ A + relu(-x) @ B + b`` against numpy, term by term; zero inputs get no gradient."""
    x, kernel, bias, _, upstream = example(0)
    free = np.random.RandomState(7).randn(2 * IN, OUT)
    with tf.Graph().as_default():
        tx, tk, tb = tf.placeholder(tf.float64, (None, IN)), tf.constant(free), tf.constant(bias)
        out = layers.crelu_dense(tx, tk, tb)
        got = run([out] + tf.gradients(tf.reduce_sum(out * upstream), [tx, tk, tb]), {tx: x})
    positive, negative = np.maximum(x, 0), np.maximum(-x, 0)
    a, b = free[:IN], free[IN:]
    want = [positive @ a + negative @ b + bias,
            (x > 0) * (upstream @ a.T) - (x < 0) * (upstream @ b.T),
            np.concatenate([positive.T @ upstream, negative.T @ upstream]), upstream.sum(axis=0)]
    assert_all_close(got, want)


def test_the_multi_threshold_relu_layer_is_the_crelu_layer_with_a_relu_w_and_relu_minus_w():
    x, kernel, bias, _, _ = example(1)
    with tf.Graph().as_default():
        constrained = np.concatenate([np.maximum(kernel, 0), np.maximum(-kernel, 0)])
        x, kernel, bias = (tf.constant(value) for value in (x, kernel, bias))
        got, want = run([layers.crelu_dense(x, tf.constant(constrained), bias),
                         layers.multi_threshold_dense(x, kernel, bias)])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_crelu_module_creates_a_kernel_of_both_bases_once():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, (None, IN))
        module = layers.CReLUDense(OUT)
        out = module(x)
        module(x)
        assert [variable.shape.as_list() for variable in tf.global_variables()] == [[2 * IN, OUT], [OUT]]
        with tf.Session() as session:
            session.run(tf.global_variables_initializer())
            got, want = session.run([out, layers.crelu_dense(x, module.kernel, module.bias)],
                                    {x: dense_inputs(4)})
    np.testing.assert_array_equal(got, want)
