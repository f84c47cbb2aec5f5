"""The blog's two networks, each built in its own ``tf.Graph`` at batch size 1."""

import collections
import functools

from mtneuron import layers
from mtneuron.layers import multi_threshold_neuron_layer
from mtneuron.records import ARCHITECTURES, INITS
from mtneuron.tf1 import tf

INPUT_SIZE = 784
NUM_CLASSES = 10
HIDDEN_SIZES = (251, 87)
LEARNING_RATE = 0.001
SEED = 21
MODELS = ("central", "multi")

BlogGraph = collections.namedtuple(
    "BlogGraph",
    ["graph", "inputs", "target", "logits", "loss", "accuracy", "train_op", "init", "hidden",
     "parameters", "forward", "active_forward", "batch_forward", "weights_out_by_in", "optimizer",
     "measure", "measures", "measure_names"],
)
BlogGraph.__doc__ = """Tensors and ops of one blog network.

``hidden`` lists the hidden layer outputs; ``parameters`` the variables ``[W_01, b_1, W_12, ...]``;
``forward(parameters, inputs)`` rebuilds the network on other tensors (in-graph training
loops use it) and returns ``(logits, hidden)``. The fast engine computes the same sums in
another order: ``active_forward(parameters, image, active)``, with ``W_01`` shaped
``(units, 784)``, returns ``(logits, hidden, first_positive, first_gradients)`` (see
``active_first_layer``); ``batch_forward(parameters, images)`` the logits ``(batch, 10)`` of a
``(batch, 784)`` batch. ``weights_out_by_in`` says whether the weights are ``(out, in)``;
``optimizer`` is the ``AdamOptimizer``;
``measure(parameters, inputs, hidden, gradients)`` is ``measurements`` for this network, and
``measures`` the step's measurements as one vector, named by ``measure_names``.
"""


def build_graph(model, hidden_sizes=HIDDEN_SIZES, learning_rate=LEARNING_RATE, seed=SEED):
    """Build the ``"multi"`` or ``"central"`` blog network in a new ``tf.Graph``.

    The graph seed is set before any op exists, so a seed always gives the same weights.
    """
    if model not in NETWORKS:
        raise ValueError("unknown model %r: choose one of %s" % (model, ", ".join(MODELS)))
    forward, active_forward, batch_forward, input_shape, weights_out_by_in = NETWORKS[model]
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(seed)
        inputs = tf.placeholder(tf.float32, shape=input_shape, name="I_0")
        parameters = _parameters(hidden_sizes, weights_out_by_in)
        logits, hidden = forward(parameters, inputs)
        target = tf.placeholder(tf.float32, shape=(1, NUM_CLASSES), name="target")
        loss, accuracy = loss_and_accuracy(logits, target)
        optimizer = tf.train.AdamOptimizer(learning_rate)
        gradients = [gradient for gradient, _ in optimizer.compute_gradients(loss, parameters)]
        measure = functools.partial(measurements, model)
        measure_names, measures = measure(parameters, inputs, hidden, gradients)
        with tf.control_dependencies([measures]):  # measure the weights before the step updates them
            train_op = optimizer.apply_gradients(list(zip(gradients, parameters)))  # = minimize(loss)
        init = tf.global_variables_initializer()
    return BlogGraph(graph, inputs, target, logits, loss, accuracy, train_op, init, tuple(hidden),
                     parameters, forward, active_forward, batch_forward, weights_out_by_in, optimizer,
                     measure, measures, measure_names)


def build_multi_threshold_graph(hidden_sizes=HIDDEN_SIZES, learning_rate=LEARNING_RATE, seed=SEED):
    """Multi-threshold network: input ``(784,)``, weights ``(out, in)``, linear output ``(1, 10)``."""
    return build_graph("multi", hidden_sizes, learning_rate, seed)


def build_central_threshold_graph(hidden_sizes=HIDDEN_SIZES, learning_rate=LEARNING_RATE, seed=SEED):
    """Central-threshold network: input ``(1, 784)``, ``relu_layer`` with weights ``(in, out)``."""
    return build_graph("central", hidden_sizes, learning_rate, seed)


def multi_threshold_forward(parameters, inputs):
    """Logits ``(1, 10)`` and hidden outputs of the multi-threshold network for one ``(784,)`` input."""
    signal, hidden = inputs, []
    for weights, bias in zip(parameters[:-2:2], parameters[1:-2:2]):
        signal = multi_threshold_neuron_layer(signal, weights, bias)
        hidden.append(signal)
    weights, bias = parameters[-2:]
    return tf.transpose(tf.matmul(weights, tf.reshape(signal, (-1, 1)))) + bias, hidden


def multi_threshold_batch_forward(parameters, images):
    """Logits ``(batch, 10)`` of the multi-threshold network for ``(batch, 784)`` images.

    Each layer is ``layers.multi_threshold_dense``: the ReLU identity's two matrix products,
    the same per-synapse terms as the blog's layer, summed in another order.
    """
    signal = images
    for weights, bias in zip(parameters[:-2:2], parameters[1:-2:2]):
        signal = layers.multi_threshold_dense(signal, tf.transpose(weights), bias)
    weights, bias = parameters[-2:]
    return tf.matmul(signal, weights, transpose_b=True) + bias


def central_threshold_forward(parameters, inputs):
    """Logits ``(1, 10)`` and hidden outputs of the central-threshold network for a ``(1, 784)`` input."""
    signal, hidden = inputs, []
    for weights, bias in zip(parameters[:-2:2], parameters[1:-2:2]):
        signal = tf.nn.relu_layer(signal, weights, bias)
        hidden.append(signal)
    weights, bias = parameters[-2:]
    return tf.matmul(signal, weights) + bias, hidden


def central_threshold_batch_forward(parameters, images):
    """Logits ``(batch, 10)`` of the central-threshold network for ``(batch, 784)`` images."""
    return central_threshold_forward(parameters, images)[0]


def multi_threshold_active_forward(parameters, image, active):
    """``multi_threshold_forward`` of one ``(784,)`` image, its first layer on the active inputs."""
    signal, first_positive, first_gradients = active_first_layer("multi", parameters[0], parameters[1],
                                                                 image, active)
    logits, hidden = multi_threshold_forward(parameters[2:], signal)
    return logits, [signal] + hidden, first_positive, first_gradients


def central_threshold_active_forward(parameters, image, active):
    """``central_threshold_forward`` of one ``(784,)`` image, its first layer on the active inputs."""
    signal, _, first_gradients = active_first_layer("central", parameters[0], parameters[1], image, active)
    logits, hidden = central_threshold_forward(parameters[2:], tf.reshape(signal, (1, -1)))
    return logits, [signal] + hidden, None, first_gradients


def active_first_layer(model, weights, bias, image, active):
    """The first hidden layer of one image, summed over its active (non-zero) inputs only.

    ``weights`` is ``(units, 784)``; ``active`` lists the non-zero pixels' indices, padded with
    indices of zero pixels. The skipped terms are exact zeros, so the sums are the blog's in another
    order (over the active inputs' rows, ``(active, units)``). Returns the ``(units,)`` output; for
    the multi-threshold layer each unit's fraction of synapses with ``W_ji x_i > 0`` (else
    ``None``); and ``gradients(upstream)``, the layer's dense ``(dL/dW, dL/db)`` from
    ``dL/doutput`` (zero where the input is zero), built where they are used instead of scattered.
    """
    rows, values = tf.transpose(tf.gather(weights, active, axis=1)), tf.gather(image, active)
    if model == "multi":
        synapses = rows * values[:, None]
        output = tf.reduce_sum(tf.nn.relu(synapses), axis=0) + bias
        positive = tf.reduce_sum(tf.sign(tf.nn.relu(synapses)), axis=0) / float(image.shape.as_list()[0])
    else:
        output = tf.nn.relu(tf.reshape(tf.matmul(values[None], rows), (-1,)) + bias)
        positive = None

    def gradients(upstream):
        if model == "multi":  # d relu(W_ji x_i) / d W_ji = x_i [W_ji x_i > 0], as TensorFlow's ReluGrad
            mask = tf.cast(weights * image[None] > 0, tf.float32)
            return upstream[:, None] * image[None] * mask, upstream
        upstream = upstream * tf.cast(output > 0, tf.float32)
        return upstream[:, None] * image[None], upstream
    return output, positive, gradients


NETWORKS = {  # model: (forward, active forward, batch forward, input shape, weights shaped (out, in))
    "multi": (multi_threshold_forward, multi_threshold_active_forward, multi_threshold_batch_forward,
              (INPUT_SIZE,), True),
    "central": (central_threshold_forward, central_threshold_active_forward,
                central_threshold_batch_forward, (1, INPUT_SIZE), False),
}


def measurements(model, parameters, inputs, hidden, gradients, first_positive=None):
    """What one step does to sparsity, for the claims study: ``(names, float32 vector)``.

    Per hidden layer ``l``: the fractions of units whose output is non-zero
    (``units_nonzero_l``) and positive (``units_positive_l``); for the multi-threshold network
    also ``synapses_positive_l``, the fraction of synapses with ``W_ji x_i > 0``. Per weight
    matrix ``W_kl``: ``gradient_nonzero_W_kl``, the fraction of its gradient's non-zero entries,
    counted from the factors of the gradient (``_gradient_nonzero``), which never materialise
    the gradient a second time. ``first_positive`` gives the first layer's per-unit fractions of
    positive synapses when they were counted already (``active_first_layer``).
    """
    names, values = [], []
    signals = [inputs] + list(hidden)
    synapses = [None] * len(signals)  # per multi-threshold layer: each unit's fraction of positive synapses
    for layer, output in enumerate(hidden, 1):
        if model == "multi":
            synapses[layer - 1] = (first_positive if layer == 1 and first_positive is not None else
                                   _positive_synapses(parameters[2 * layer - 2], signals[layer - 1]))
            names.append("synapses_positive_%d" % layer)
            values.append(tf.reduce_mean(synapses[layer - 1]))
        names += ["units_nonzero_%d" % layer, "units_positive_%d" % layer]
        values += [tf.reduce_mean(tf.abs(tf.sign(output))), tf.reduce_mean(tf.sign(tf.nn.relu(output)))]
    for layer, (signal, bias_gradient, positive) in enumerate(zip(signals, gradients[1::2], synapses)):
        names.append("gradient_nonzero_W_%d%d" % (layer, layer + 1))
        values.append(_gradient_nonzero(signal, bias_gradient, positive))
    return tuple(names), tf.stack(values)


def _positive_synapses(weights, signal):
    """Per unit ``j`` of a multi-threshold layer, the fraction of its synapses with ``W_ji x_i > 0``."""
    return tf.reduce_mean(tf.sign(tf.nn.relu(tf.multiply(tf.reshape(signal, (-1,)), weights))), axis=1)


def _gradient_nonzero(signal, bias_gradient, positive_synapses=None):
    """Fraction of non-zero entries of a layer's weight gradient, from its factors.

    With ``g = dL/db``: a dense layer's weight gradient is the outer product of its input and
    ``g``, non-zero where both are; the multi-threshold layer's is ``g_j x_i [W_ji x_i > 0]``,
    non-zero where ``g_j`` is and the synapse is positive. (Tests compare with a direct count.)
    """
    units = tf.abs(tf.sign(tf.reshape(bias_gradient, (-1,))))
    if positive_synapses is not None:
        return tf.reduce_mean(units * positive_synapses)
    return tf.reduce_mean(tf.abs(tf.sign(signal))) * tf.reduce_mean(units)


def loss_and_accuracy(logits, target):
    """The blog's mean softmax cross-entropy and its 0/1 accuracy for one example."""
    loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(logits=logits, labels=target))
    return loss, tf.reduce_mean(tf.cast(correct_predictions(logits, target), tf.float32))


def correct_predictions(logits, target):
    """Per example, whether the largest logit is the one-hot target's class."""
    return tf.equal(tf.argmax(logits, 1), tf.argmax(target, 1))


def _parameters(hidden_sizes, weights_out_by_in):
    """``[W_01, b_1, W_12, b_2, ...]`` for 784 -> hidden sizes -> 10, initialised N(0, 1).

    The blog's multi-threshold weights are ``(out, in)``; ``relu_layer``'s are ``(in, out)``.
    No Xavier/He scaling: that is why the first losses are huge. Resource variables, so that
    in-graph loops read every update (a ref variable's cached snapshot would go stale).
    Parameter ``k`` draws with op-level seed ``k`` under the graph seed: TensorFlow 1.15 would
    derive op seeds from the graph's op count, so without them a seed gives other weights there
    (TensorFlow 2.x counts random ops: the same ``k``, so its weights are unchanged by this).
    """
    sizes = (INPUT_SIZE,) + tuple(hidden_sizes) + (NUM_CLASSES,)
    parameters = []
    for layer, (size_in, size_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        weights = (size_out, size_in) if weights_out_by_in else (size_in, size_out)
        for name, shape in (("W_%d%d" % (layer, layer + 1), weights), ("b_%d" % (layer + 1), (size_out,))):
            initial = tf.random_normal(shape, seed=len(parameters))
            parameters.append(tf.Variable(initial, name=name, use_resource=True))
    return parameters

MinibatchGraph = collections.namedtuple(
    "MinibatchGraph", ["graph", "inputs", "target", "logits", "loss", "accuracy", "train_op", "init"])
MinibatchGraph.__doc__ = """Tensors and ops of a part-II network that takes batches of any size."""


def build_minibatch_graph(architecture, kind, init="scaled", learning_rate=LEARNING_RATE, seed=SEED,
                          hidden_sizes=HIDDEN_SIZES):
    """An MLP (784-251-87-10) or a small CNN with ``kind`` ("multi" or "central") hidden layers.

    ``init="blog"`` draws every kernel and bias from N(0, 1) as the blog did; ``"scaled"`` uses
    He initialisation for the hidden layers, Glorot for the linear output layer, zero biases.
    """
    if architecture not in ARCHITECTURES or kind not in MODELS or init not in INITS:
        raise ValueError("unknown network %r/%r/%r: architectures %s, kinds %s, inits %s" % (
            architecture, kind, init, ARCHITECTURES, MODELS, INITS))
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(seed)
        inputs = tf.placeholder(tf.float32, shape=(None, INPUT_SIZE), name="images")
        target = tf.placeholder(tf.float32, shape=(None, NUM_CLASSES), name="labels")
        hidden, output = _initializers(init)
        if architecture == "mlp":
            features = _mlp_features(inputs, kind, hidden_sizes, hidden)
        else:
            features = _cnn_features(inputs, kind, hidden)
        logits = layers.CentralThresholdDense(NUM_CLASSES, activation=tf.identity, name="output",
                                              **output)(features)
        loss, accuracy = loss_and_accuracy(logits, target)
        train_op = tf.train.AdamOptimizer(learning_rate).minimize(loss)
        init_op = tf.global_variables_initializer()
    return MinibatchGraph(graph, inputs, target, logits, loss, accuracy, train_op, init_op)


def _initializers(init):
    """Keyword arguments for the hidden modules and for the output module."""
    if init == "blog":
        normal = tf.random_normal_initializer(0.0, 1.0)
        blog = {"kernel_initializer": normal, "bias_initializer": normal}
        return blog, blog
    return {}, {"kernel_initializer": tf.glorot_uniform_initializer()}


def _mlp_features(inputs, kind, hidden_sizes, initializers):
    """Hidden dense layers; a multi-threshold first layer knows its inputs (pixels) are >= 0."""
    signal = inputs
    for index, units in enumerate(hidden_sizes):
        name = "hidden%d" % (index + 1)
        if kind == "multi":
            layer = layers.MultiThresholdDense(units, nonnegative_inputs=index == 0, name=name,
                                               **initializers)
        else:
            layer = layers.CentralThresholdDense(units, name=name, **initializers)
        signal = layer(signal)
    return signal


def _cnn_features(inputs, kind, initializers):
    """Two 5x5 convolutions (16 and 32 filters), each followed by 2x2 max pooling, flattened."""
    convolution = layers.MultiThresholdConv2D if kind == "multi" else layers.CentralThresholdConv2D
    signal = tf.reshape(inputs, (-1, 28, 28, 1))
    for index, filters in enumerate((16, 32)):
        signal = convolution(filters, 5, name="conv%d" % (index + 1), **initializers)(signal)
        signal = tf.nn.max_pool(signal, [1, 2, 2, 1], [1, 2, 2, 1], "SAME")
    return tf.reshape(signal, (-1, 7 * 7 * 32))
