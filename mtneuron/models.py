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
    ["graph", "inputs", "target", "logits", "loss", "accuracy", "train_op", "init", "hidden",
     "parameters", "forward", "optimizer"],
)
BlogGraph.__doc__ = """Tensors and ops of one blog network.

``hidden`` lists the hidden layer outputs; ``parameters`` the variables ``[W_01, b_1, W_12, ...]``;
``forward(parameters, inputs)`` rebuilds the network on other tensors (in-graph training
loops use it) and returns ``(logits, hidden)``; ``optimizer`` is the ``AdamOptimizer``.
"""


def build_graph(model, hidden_sizes=HIDDEN_SIZES, learning_rate=LEARNING_RATE, seed=SEED):
    """Build the ``"multi"`` or ``"central"`` blog network in a new ``tf.Graph``.

    The graph seed is set before any op exists, so a seed always gives the same weights.
    """
    if model not in NETWORKS:
        raise ValueError("unknown model %r: choose one of %s" % (model, ", ".join(MODELS)))
    forward, input_shape, weights_out_by_in = NETWORKS[model]
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(seed)
        inputs = tf.placeholder(tf.float32, shape=input_shape, name="I_0")
        parameters = _parameters(hidden_sizes, weights_out_by_in)
        logits, hidden = forward(parameters, inputs)
        target = tf.placeholder(tf.float32, shape=(1, NUM_CLASSES), name="target")
        loss, accuracy = loss_and_accuracy(logits, target)
        optimizer = tf.train.AdamOptimizer(learning_rate)
        train_op = optimizer.minimize(loss)
        init = tf.global_variables_initializer()
    return BlogGraph(graph, inputs, target, logits, loss, accuracy, train_op, init, tuple(hidden),
                     parameters, forward, optimizer)


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


def central_threshold_forward(parameters, inputs):
    """Logits ``(1, 10)`` and hidden outputs of the central-threshold network for a ``(1, 784)`` input."""
    signal, hidden = inputs, []
    for weights, bias in zip(parameters[:-2:2], parameters[1:-2:2]):
        signal = tf.nn.relu_layer(signal, weights, bias)
        hidden.append(signal)
    weights, bias = parameters[-2:]
    return tf.matmul(signal, weights) + bias, hidden


NETWORKS = {  # model: (forward, input shape, weights shaped (out, in))
    "multi": (multi_threshold_forward, (INPUT_SIZE,), True),
    "central": (central_threshold_forward, (1, INPUT_SIZE), False),
}


def loss_and_accuracy(logits, target):
    """The blog's mean softmax cross-entropy and its 0/1 accuracy for one example."""
    loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(logits=logits, labels=target))
    correct = tf.equal(tf.argmax(logits, 1), tf.argmax(target, 1))
    return loss, tf.reduce_mean(tf.cast(correct, tf.float32))


def _parameters(hidden_sizes, weights_out_by_in):
    """``[W_01, b_1, W_12, b_2, ...]`` for 784 -> hidden sizes -> 10, initialised N(0, 1).

    The blog's multi-threshold weights are ``(out, in)``; ``relu_layer``'s are ``(in, out)``.
    No Xavier/He scaling: that is why the first losses are huge. Resource variables, so that
    in-graph loops read every update (a ref variable's cached snapshot would go stale).
    """
    sizes = (INPUT_SIZE,) + tuple(hidden_sizes) + (NUM_CLASSES,)
    parameters = []
    for layer, (size_in, size_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        weights = (size_out, size_in) if weights_out_by_in else (size_in, size_out)
        for name, shape in (("W_%d%d" % (layer, layer + 1), weights), ("b_%d" % (layer + 1), (size_out,))):
            parameters.append(tf.Variable(tf.random_normal(shape), name=name, use_resource=True))
    return parameters
