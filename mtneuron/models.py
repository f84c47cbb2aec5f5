"""The blog's two networks, each built in its own ``tf.Graph`` at batch size 1, and a trained one loaded from
its run for inference (``load_run``)."""

import collections
import os

import numpy as np

from mtneuron import layers
from mtneuron.blog import HIDDEN_SIZES, INPUT_SIZE, LEARNING_RATE, MODELS, NUM_CLASSES, SEED
from mtneuron.blog_runs import RunSpec
from mtneuron.layers import multi_threshold_neuron_layer
from mtneuron.measurements import step_measurements
from mtneuron.run import records
from mtneuron.run.sweep import weights_path
from mtneuron.tf1 import tf

BlogGraph = collections.namedtuple(
    "BlogGraph",
    ["graph", "network", "inputs", "target", "logits", "loss", "accuracy", "train_op", "init", "hidden",
     "parameters", "optimizer", "measures", "measure_names"],
)
BlogGraph.__doc__ = """Tensors and ops of one blog network, built by its ``network`` (a ``Network``).

``hidden`` lists the hidden layer outputs; ``parameters`` the variables ``[W_01, b_1, W_12, ...]``;
``optimizer`` is the ``AdamOptimizer``; ``measures`` the step's measurements as one vector, named
by ``measure_names`` (None and no names when the graph does not measure).
"""


class Network:
    """A blog network 784 -> ``hidden_sizes`` -> 10 as functions of its parameters ``[W_01, b_1, ...]``,
    so that in-graph training loops rebuild it on other tensors.

    ``forward(parameters, inputs)`` returns ``(logits, hidden)``; ``batch_forward(parameters, images)``
    the logits ``(batch, 10)`` of ``(batch, 784)`` images. (The fast engine's first layer is in
    ``train.fast``; the claims study's measurements in ``measurements``.)
    """

    model = input_shape = weights_out_by_in = None  # set by each kind of network

    def __init__(self, hidden_sizes=HIDDEN_SIZES):
        self.hidden_sizes = tuple(hidden_sizes)

    def parameters(self):
        """``[W_01, b_1, W_12, b_2, ...]`` for 784 -> hidden sizes -> 10, initialised N(0, 1).

        No Xavier/He scaling: that is why the first losses are huge. Resource variables, so that
        in-graph loops read every update (a ref variable's cached snapshot would go stale).
        Parameter ``k`` draws with op-level seed ``k`` under the graph seed: TensorFlow 1.15 would
        derive op seeds from the graph's op count, so without them a seed gives other weights there
        (TensorFlow 2.x counts random ops: the same ``k``, so its weights are unchanged by this).
        """
        sizes = (INPUT_SIZE,) + self.hidden_sizes + (NUM_CLASSES,)
        parameters = []
        for layer, (size_in, size_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            weights = (size_out, size_in) if self.weights_out_by_in else (size_in, size_out)
            names = ("W_%d%d" % (layer, layer + 1), "b_%d" % (layer + 1))
            for name, shape in zip(names, (weights, (size_out,))):
                initial = tf.random_normal(shape, seed=len(parameters))
                parameters.append(tf.Variable(initial, name=name, use_resource=True))
        return parameters

class MultiThresholdNetwork(Network):
    """The multi-threshold network: input ``(784,)``, weights ``(out, in)``, linear output ``(1, 10)``."""

    model, input_shape, weights_out_by_in = "multi", (INPUT_SIZE,), True

    def forward(self, parameters, inputs):
        """Logits ``(1, 10)`` and hidden outputs for one ``(784,)`` input."""
        signal, hidden = inputs, []
        for weights, bias in zip(parameters[:-2:2], parameters[1:-2:2]):
            signal = multi_threshold_neuron_layer(signal, weights, bias)
            hidden.append(signal)
        weights, bias = parameters[-2:]
        return tf.transpose(tf.matmul(weights, tf.reshape(signal, (-1, 1)))) + bias, hidden

    def batch_forward(self, parameters, images):
        """Logits ``(batch, 10)`` of ``(batch, 784)`` images, each layer ``layers.multi_threshold_dense``:
        the ReLU identity's two matrix products, the blog layer's per-synapse terms in another order."""
        signal = images
        for weights, bias in zip(parameters[:-2:2], parameters[1:-2:2]):
            signal = layers.multi_threshold_dense(signal, tf.transpose(weights), bias)
        weights, bias = parameters[-2:]
        return tf.matmul(signal, weights, transpose_b=True) + bias

    def as_input(self, signal):
        """A hidden layer's ``(units,)`` output as this network's next layer takes it."""
        return signal

class CentralThresholdNetwork(Network):
    """The central-threshold network: input ``(1, 784)``, ``relu_layer`` with weights ``(in, out)``."""

    model, input_shape, weights_out_by_in = "central", (1, INPUT_SIZE), False

    def forward(self, parameters, inputs):
        """Logits ``(1, 10)`` (or ``(batch, 10)``) and hidden outputs for ``(1, 784)`` (batch) inputs."""
        signal, hidden = inputs, []
        for weights, bias in zip(parameters[:-2:2], parameters[1:-2:2]):
            signal = tf.nn.relu_layer(signal, weights, bias)
            hidden.append(signal)
        weights, bias = parameters[-2:]
        return tf.matmul(signal, weights) + bias, hidden

    def batch_forward(self, parameters, images):
        """Logits ``(batch, 10)`` of ``(batch, 784)`` images."""
        return self.forward(parameters, images)[0]

    def as_input(self, signal):
        """A hidden layer's ``(units,)`` output as this network's next layer takes it."""
        return tf.reshape(signal, (1, -1))


NETWORKS = {network.model: network for network in (MultiThresholdNetwork, CentralThresholdNetwork)}


def make_network(model, hidden_sizes=HIDDEN_SIZES):
    """The ``"multi"`` or ``"central"`` ``Network`` with ``hidden_sizes`` hidden units."""
    if model not in NETWORKS:
        raise ValueError("unknown model %r: choose one of %s" % (model, ", ".join(MODELS)))
    return NETWORKS[model](hidden_sizes)


def build_graph(model, hidden_sizes=HIDDEN_SIZES, learning_rate=LEARNING_RATE, seed=SEED, measure=True):
    """Build the ``"multi"`` or ``"central"`` blog network in a new ``tf.Graph``.

    The graph seed is set before any op exists, so a seed always gives the same weights. With
    ``measure`` the train op first computes the step's ``measurements`` (for the claims study);
    without, the graph is the blog's own: ``AdamOptimizer(learning_rate).minimize(loss)`` and no more.
    """
    network = make_network(model, hidden_sizes)
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(seed)
        inputs = tf.placeholder(tf.float32, shape=network.input_shape, name="I_0")
        parameters = network.parameters()
        logits, hidden = network.forward(parameters, inputs)
        target = tf.placeholder(tf.float32, shape=(1, NUM_CLASSES), name="target")
        loss, accuracy = loss_and_accuracy(logits, target)
        optimizer = tf.train.AdamOptimizer(learning_rate)
        measure_names, measures = (), None
        if measure:
            gradients = [gradient for gradient, _ in optimizer.compute_gradients(loss, parameters)]
            measure_names, measures = step_measurements(network, parameters, inputs, hidden, gradients)
            with tf.control_dependencies([measures]):  # measure the weights before the step updates them
                train_op = optimizer.apply_gradients(list(zip(gradients, parameters)))  # = minimize(loss)
        else:
            train_op = optimizer.minimize(loss)
        init = tf.global_variables_initializer()
    return BlogGraph(graph, network, inputs, target, logits, loss, accuracy, train_op, init, tuple(hidden),
                     parameters, optimizer, measures, measure_names)


class TrainedNetwork:
    """A blog network with trained parameters, for inference on ``(batch, 784)`` images: ``logits`` and
    ``predict`` (the classes), in a graph and a session of its own."""

    def __init__(self, model, parameters, hidden_sizes=HIDDEN_SIZES):
        self.network = make_network(model, hidden_sizes)
        self.graph = tf.Graph()
        with self.graph.as_default():
            self.images = tf.placeholder(tf.float32, (None, INPUT_SIZE), name="images")
            constants = [tf.constant(value) for value in parameters]
            self.outputs = self.network.batch_forward(constants, self.images)
        self.session = tf.Session(graph=self.graph)

    def logits(self, images):
        return self.session.run(self.outputs, {self.images: np.reshape(images, (-1, INPUT_SIZE))})

    def predict(self, images):
        return np.argmax(self.logits(images), axis=1)


def load_run(record_path):
    """The network a blog run trained, from its record and the parameters its sweep kept beside it
    (``{name}.npz``, written by ``mtneuron reproduce``)."""
    record = records.read_json(record_path)
    if record is None or not records.is_complete(record):
        raise records.RecordError("%s is not a complete run record" % record_path)
    weights = weights_path(os.path.dirname(record_path), records.spec_of(record, RunSpec))
    if not os.path.exists(weights):
        raise records.RecordError("no trained parameters beside %s (%s): mtneuron reproduce keeps them; "
                                  "train the run again with it (--force)" % (record_path, weights))
    with np.load(weights) as arrays:
        parameters = [arrays[name] for name in arrays.files]
    return TrainedNetwork(record["model"], parameters, tuple(record["hidden_sizes"]))


def loss_and_accuracy(logits, target):
    """The blog's mean softmax cross-entropy and its 0/1 accuracy for one example."""
    loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(logits=logits, labels=target))
    return loss, tf.reduce_mean(tf.cast(correct_predictions(logits, target), tf.float32))


def correct_predictions(logits, target):
    """Per example, whether the largest logit is the one-hot target's class."""
    return tf.equal(tf.argmax(logits, 1), tf.argmax(target, 1))
