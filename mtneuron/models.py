"""The blog's two networks, each built in its own ``tf.Graph`` at batch size 1."""

import collections

import numpy as np

from mtneuron import layers
from mtneuron.blog import HIDDEN_SIZES, INPUT_SIZE, LEARNING_RATE, MODELS, NUM_CLASSES, SEED
from mtneuron.layers import multi_threshold_neuron_layer
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
    the logits ``(batch, 10)`` of ``(batch, 784)`` images. The fast engine sums in another order:
    ``first_layer(weights, bias, image)`` is the first hidden layer of one image ``>= 0`` (pixels)
    as one matrix product with ``weights`` shaped ``(units, 784)`` (one product over all the
    pixels costs less than gathering the non-zero ones). It returns the ``(units,)`` output, each
    unit's fraction of positive synapses (multi-threshold; else None) and ``gradients(upstream)``,
    the layer's dense ``(dL/dW, dL/db)`` from ``dL/doutput``, built where they are used.
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

    def fast_forward(self, parameters, image):
        """``forward`` of one ``(784,)`` image ``>= 0``, its first layer by ``first_layer`` (``W_01``
        shaped ``(units, 784)``): returns ``(logits, hidden, first_positive, first_gradients)``."""
        signal, positive, gradients = self.first_layer(parameters[0], parameters[1], image)
        logits, hidden = self.forward(parameters[2:], self._as_input(signal))
        return logits, [signal] + hidden, positive, gradients

    def frozen_weights(self, parameters, images):
        """Per weight matrix, a mask of the entries that no step on ``images`` can change, from the
        initial ``parameters`` (arrays ``[W_01, b_1, ...]``): where every step's gradient is exactly
        zero, Adam's moments stay zero and its update is zero. Only first-layer weights qualify, as
        only the first layer's inputs are known before training."""
        lit = np.stack([np.any(images > 0, axis=0), np.any(images < 0, axis=0)])  # per pixel: > 0, < 0 seen
        masks = [np.zeros(weights.shape, bool) for weights in parameters[::2]]
        masks[0] = self._frozen_first_layer(parameters[0], parameters[1], images, lit)
        return masks

    def measure(self, parameters, inputs, hidden, gradients, first_positive=None):
        """``measurements`` of one step; ``first_positive``: the first layer's positive-synapse
        fractions when ``first_layer`` counted them already."""
        synapses = self._positive_synapses(parameters, inputs, hidden, first_positive)
        return measurements(inputs, hidden, gradients, synapses)


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

    def first_layer(self, weights, bias, image):
        """The first layer of an image ``x >= 0`` (see ``Network``), with each unit's fraction of synapses
        with ``W_ji x_i > 0``: ``relu(W_ji x_i) = relu(W_ji) x_i`` term by term, so it is ``relu(W) x``."""
        column = image[:, None]
        output = tf.reshape(tf.matmul(tf.nn.relu(weights), column), (-1,)) + bias
        positive = tf.matmul(tf.cast(weights > 0, tf.float32), tf.cast(column > 0, tf.float32))
        positive = tf.reshape(positive, (-1,)) / float(image.shape.as_list()[0])

        def gradients(upstream):  # d relu(W_ji x_i) / d W_ji = x_i [W_ji x_i > 0], as TensorFlow's ReluGrad
            mask = tf.cast(weights * image[None] > 0, tf.float32)
            return upstream[:, None] * image[None] * mask, upstream
        return output, positive, gradients

    def _frozen_first_layer(self, weights, bias, images, lit):
        """``W_ji`` (``(out, in)``) gets the gradient ``g_j x_i [W_ji x_i > 0]``: zero at every step unless
        some training image makes ``W_ji x_i`` positive (on pixels, every ``W_ji <= 0`` is frozen)."""
        return ~(((weights > 0) & lit[0][None]) | ((weights < 0) & lit[1][None]))

    def _as_input(self, signal):
        return signal

    def _positive_synapses(self, parameters, inputs, hidden, first_positive):
        """Per hidden layer, each unit's fraction of synapses with ``W_ji x_i > 0``."""
        signals = [inputs] + list(hidden)
        counted = [first_positive] + [None] * (len(hidden) - 1)
        return [_positive_synapses(parameters[2 * layer], signals[layer]) if known is None else known
                for layer, known in enumerate(counted)]


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

    def first_layer(self, weights, bias, image):
        """The first ``relu_layer`` (see ``Network``); it has no synapse measure."""
        output = tf.nn.relu(tf.reshape(tf.matmul(weights, image[:, None]), (-1,)) + bias)

        def gradients(upstream):
            upstream = upstream * tf.cast(output > 0, tf.float32)
            return upstream[:, None] * image[None], upstream
        return output, None, gradients

    def _frozen_first_layer(self, weights, bias, images, lit):
        """``W_ij`` (``(in, out)``) gets the gradient ``x_i g_j [unit j active]``: zero at every step where
        pixel ``i`` is zero in every training image, or unit ``j`` is inactive on every one of them
        (then nothing ever changes its weights, its bias or its inputs: it stays inactive)."""
        dead = np.all(_preactivations(images, weights, bias) < -DEAD_MARGIN, axis=0)
        return ~(lit[0] | lit[1])[:, None] | dead[None]

    def _as_input(self, signal):
        return tf.reshape(signal, (1, -1))

    def _positive_synapses(self, parameters, inputs, hidden, first_positive):
        return [None] * len(hidden)


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
            measure_names, measures = network.measure(parameters, inputs, hidden, gradients)
            with tf.control_dependencies([measures]):  # measure the weights before the step updates them
                train_op = optimizer.apply_gradients(list(zip(gradients, parameters)))  # = minimize(loss)
        else:
            train_op = optimizer.minimize(loss)
        init = tf.global_variables_initializer()
    return BlogGraph(graph, network, inputs, target, logits, loss, accuracy, train_op, init, tuple(hidden),
                     parameters, optimizer, measures, measure_names)


DEAD_MARGIN = 1e-3  # a unit is inactive below -this: float32 sums in another order cannot make it positive


def _preactivations(images, weights, bias, block=5000):
    """``images @ weights + bias`` in float64, ``block`` images at a time."""
    return np.concatenate([images[start:start + block].astype(np.float64) @ weights + bias
                           for start in range(0, len(images), block)])


def measurements(inputs, hidden, gradients, synapses):
    """What one step does to sparsity, for the claims study: ``(names, float32 vector)``.

    Per hidden layer ``l``: the fractions of units whose output is non-zero
    (``units_nonzero_l``) and positive (``units_positive_l``); for the multi-threshold network
    (``synapses``: per hidden layer each unit's fraction of positive synapses, else None)
    also ``synapses_positive_l``, the fraction of synapses with ``W_ji x_i > 0``. Per weight
    matrix ``W_kl``: ``gradient_nonzero_W_kl``, the fraction of its gradient's non-zero entries,
    counted from the factors of the gradient (``_gradient_nonzero``), which never materialise
    the gradient a second time.
    """
    names, values = [], []
    for layer, (output, positive) in enumerate(zip(hidden, synapses), 1):
        if positive is not None:
            names.append("synapses_positive_%d" % layer)
            values.append(tf.reduce_mean(positive))
        names += ["units_nonzero_%d" % layer, "units_positive_%d" % layer]
        values += [tf.reduce_mean(tf.abs(tf.sign(output))), tf.reduce_mean(tf.sign(tf.nn.relu(output)))]
    signals, synapses = [inputs] + list(hidden), list(synapses) + [None]  # the output layer is dense
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
