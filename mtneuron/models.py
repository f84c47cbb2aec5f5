"""The blog's two networks, each built in its own ``tf.Graph`` at batch size 1."""

import collections

from mtneuron.layers import multi_threshold_neuron_layer
from mtneuron.tf1 import tf

INPUT_SIZE = 784
NUM_CLASSES = 10
HIDDEN_SIZES = (251, 87)
LEARNING_RATE = 0.001
SEED = 21
MODELS = ("central", "multi")

BlogGraph = collections.namedtuple(
    "BlogGraph",
    ["graph", "inputs", "target", "logits", "loss", "accuracy", "train_op", "init", "hidden"],
)
BlogGraph.__doc__ = """Tensors and ops of one blog network; ``hidden`` lists the hidden layer outputs."""


def build_graph(model, hidden_sizes=HIDDEN_SIZES, learning_rate=LEARNING_RATE, seed=SEED):
    """Build the ``"multi"`` or ``"central"`` blog network (see ``MODELS``)."""
    builders = {"central": build_central_threshold_graph, "multi": build_multi_threshold_graph}
    if model not in builders:
        raise ValueError("unknown model %r: choose one of %s" % (model, ", ".join(MODELS)))
    return builders[model](hidden_sizes, learning_rate, seed)


def build_multi_threshold_graph(hidden_sizes=HIDDEN_SIZES, learning_rate=LEARNING_RATE, seed=SEED):
    """Multi-threshold network: input ``(784,)``, weights ``(out, in)``, linear output ``(1, 10)``."""
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(seed)
        inputs = tf.placeholder(tf.float32, shape=(INPUT_SIZE,), name="I_0")
        parameters = _parameters(hidden_sizes, weights_out_by_in=True)
        signal, hidden = inputs, []
        for weights, bias in parameters[:-1]:
            signal = multi_threshold_neuron_layer(signal, weights, bias)
            hidden.append(signal)
        weights, bias = parameters[-1]
        logits = tf.transpose(tf.matmul(weights, tf.reshape(signal, (-1, 1)))) + bias
        return _train_graph(graph, inputs, logits, hidden, learning_rate)


def build_central_threshold_graph(hidden_sizes=HIDDEN_SIZES, learning_rate=LEARNING_RATE, seed=SEED):
    """Central-threshold network: input ``(1, 784)``, ``relu_layer`` with weights ``(in, out)``."""
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(seed)
        inputs = tf.placeholder(tf.float32, shape=(1, INPUT_SIZE), name="I_0")
        parameters = _parameters(hidden_sizes, weights_out_by_in=False)
        signal, hidden = inputs, []
        for weights, bias in parameters[:-1]:
            signal = tf.nn.relu_layer(signal, weights, bias)
            hidden.append(signal)
        weights, bias = parameters[-1]
        logits = tf.matmul(signal, weights) + bias
        return _train_graph(graph, inputs, logits, hidden, learning_rate)


def _parameters(hidden_sizes, weights_out_by_in):
    """``(W_01, b_1), (W_12, b_2), ...`` for 784 -> hidden sizes -> 10, initialised N(0, 1).

    The blog's multi-threshold weights are ``(out, in)``; ``relu_layer``'s are ``(in, out)``.
    No Xavier/He scaling: that is why the first losses are huge.
    """
    sizes = (INPUT_SIZE,) + tuple(hidden_sizes) + (NUM_CLASSES,)
    parameters = []
    for layer, (size_in, size_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        shape = (size_out, size_in) if weights_out_by_in else (size_in, size_out)
        weights = tf.Variable(tf.random_normal(shape), name="W_%d%d" % (layer, layer + 1))
        bias = tf.Variable(tf.random_normal((size_out,)), name="b_%d" % (layer + 1))
        parameters.append((weights, bias))
    return parameters


def _train_graph(graph, inputs, logits, hidden, learning_rate):
    """Add the blog's target, loss, Adam step and accuracy to ``graph``."""
    target = tf.placeholder(tf.float32, shape=(1, NUM_CLASSES), name="target")
    loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(logits=logits, labels=target))
    train_op = tf.train.AdamOptimizer(learning_rate).minimize(loss)
    correct = tf.equal(tf.argmax(logits, 1), tf.argmax(target, 1))
    accuracy = tf.reduce_mean(tf.cast(correct, tf.float32))
    init = tf.global_variables_initializer()
    return BlogGraph(graph, inputs, target, logits, loss, accuracy, train_op, init, tuple(hidden))
