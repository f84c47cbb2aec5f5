"""The fast engine: parameters and Adam's moments as loop tensors, a chunk of batch-1 steps compiled by XLA.

Its first layer is one matrix product on the pixels (``>= 0``) with ``W_01`` shaped ``(units, 784)``
(one product over all the pixels costs less than gathering the non-zero ones), its gradients written by
hand; it evaluates whole batches by matrix products. The terms are the blog's; the order of the
floating-point sums is not.
"""

import numpy as np

from mtneuron import xla
from mtneuron.models import correct_predictions, loss_and_accuracy
from mtneuron.tf1 import release, tf
from mtneuron.train.engine import InGraphTrainer, arrays, stack, write

BETA1, BETA2, EPSILON = 0.9, 0.999, 1e-8  # tf.train.AdamOptimizer's defaults


class FastTrainer(InGraphTrainer):
    """Parameters and Adam's moments as loop tensors, the whole chunk compiled by XLA.

    The first layer is one matrix product (``FIRST_LAYERS``), so the training images must be
    ``>= 0``, as pixels are. The loop holds
    ``W_01`` and its moments as ``(units, 784)``: XLA's CPU code vectorises each row of an
    element-wise update and finishes it element by element, and 784 = 49 x 16 leaves no rest
    (251 leaves 11: on TensorFlow 1.15 that doubles the cost of Adam's update of ``W_01``). On
    TensorFlow 1.15 the large arrays are updated out of place (``out_of_place``).
    """

    engine = "fast"

    def _build(self, spec, datasets):
        xla.set_flags()  # before this trainer's first compilation, if no probe ran before
        self._learning_rate = spec.learning_rate
        if datasets.train.images.min() < 0:
            raise ValueError("the fast engine needs training inputs >= 0 (pixels), these have %g: "
                             "train them with --engine exact" % datasets.train.images.min())
        if not np.isfinite(datasets.train.images).all():  # TF 1.15's XLA dot can turn them finite
            raise ValueError("the fast engine needs finite training inputs, these have inf or NaN: "
                             "clean the data, or train them with --engine exact")
        self._adam = _AdamState(self.model.parameters)
        return super()._build(spec, datasets)

    def _loop(self, indices, images, labels):
        """The outputs of one chunk, its state read from and written back to the variables."""
        size, count = images.shape.as_list()[0], len(self.model.parameters)
        transpose = not self.model.network.weights_out_by_in

        def chunk(images, labels, *state):
            def body(step, *loop_state):
                outputs, state = loop_state[:3], loop_state[3:3 + len(initial)]
                parameters, moments, beta_powers = state[:count], state[count:3 * count], state[3 * count:]
                inputs, target = self._example(images, labels, step)
                results, gradients = self._step(list(parameters), inputs, target)
                updated = adam_update(parameters, moments, beta_powers, gradients, self._learning_rate)
                return (step + 1,) + write(outputs, step, results) + carry(updated, state, count)

            initial = tuple(_by_output(state, count, transpose))
            start = (tf.constant(0),) + arrays(size) + carry(initial, initial, count)
            loop = tf.while_loop(lambda step, *_: step < size, body, start, parallel_iterations=1)
            return stack(loop[1:4]) + _by_output(loop[4:4 + len(initial)], count, transpose)

        variables = self._adam.variables(self.model.parameters)
        outputs = tf.xla.experimental.compile(chunk, [images, labels]
                                              + [variable.read_value() for variable in variables])
        save = [variable.assign(value) for variable, value in zip(variables, outputs[3:])]
        with tf.control_dependencies(save):
            return [tf.identity(output) for output in outputs[:3]]

    def _step(self, parameters, inputs, target):
        """One example's ``(loss, accuracy, measures)`` and its gradients, the first layer's by hand."""
        network = self.model.network
        logits, hidden, first_positive, first_gradients = fast_forward(
            network, parameters, tf.reshape(inputs, (-1,)))
        loss, accuracy = loss_and_accuracy(logits, target)
        upstream, *later = tf.gradients(loss, [hidden[0]] + parameters[2:])
        gradients = list(first_gradients(upstream)) + later
        measures = self._measures(parameters, inputs, hidden, gradients, first_positive)
        return (loss, accuracy, measures), gradients

    def _count_correct(self, images, labels):
        """The number of right argmaxes of a whole batch, by matrix products."""
        parameters = [parameter.read_value() for parameter in self.model.parameters]
        correct = correct_predictions(self.model.network.batch_forward(parameters, images), labels)
        return tf.reduce_sum(tf.cast(correct, tf.int32))


def fast_forward(network, parameters, image):
    """``network.forward`` of one ``(784,)`` image ``>= 0``, its first layer by ``FIRST_LAYERS`` (``W_01``
    shaped ``(units, 784)``): returns ``(logits, hidden, first_positive, first_gradients)``."""
    signal, positive, gradients = FIRST_LAYERS[network.model](parameters[0], parameters[1], image)
    logits, hidden = network.forward(parameters[2:], network.as_input(signal))
    return logits, [signal] + hidden, positive, gradients


def multi_first_layer(weights, bias, image):
    """The multi-threshold first layer of an image ``x >= 0``: ``relu(W_ji x_i) = relu(W_ji) x_i`` term by
    term, so it is ``relu(W) x``. Returns the ``(units,)`` output, each unit's fraction of synapses with
    ``W_ji x_i > 0``, and ``gradients(upstream)``: the layer's dense ``(dL/dW, dL/db)`` from
    ``dL/doutput``."""
    column = image[:, None]
    output = tf.reshape(tf.matmul(tf.nn.relu(weights), column), (-1,)) + bias
    positive = tf.matmul(tf.cast(weights > 0, tf.float32), tf.cast(column > 0, tf.float32))
    positive = tf.reshape(positive, (-1,)) / float(image.shape.as_list()[0])

    def gradients(upstream):  # d relu(W_ji x_i) / d W_ji = x_i [W_ji x_i > 0], as TensorFlow's ReluGrad
        mask = tf.cast(weights * image[None] > 0, tf.float32)
        return upstream[:, None] * image[None] * mask, upstream
    return output, positive, gradients


def central_first_layer(weights, bias, image):
    """The central network's first ``relu_layer``, as ``multi_first_layer`` returns it (no synapse
    measure)."""
    output = tf.nn.relu(tf.reshape(tf.matmul(weights, image[:, None]), (-1,)) + bias)

    def gradients(upstream):
        upstream = upstream * tf.cast(output > 0, tf.float32)
        return upstream[:, None] * image[None], upstream
    return output, None, gradients


FIRST_LAYERS = {"multi": multi_first_layer, "central": central_first_layer}


IN_PLACE_VECTORISES_SINCE = (2, 0)  # the first TensorFlow whose XLA vectorises an update written in place


def out_of_place(count, version=tf.version.VERSION):
    """Indices of the fast loop's state (``count`` parameters, then both moments) updated out of place.

    TensorFlow 1.15's XLA checks at run time whether an element-wise loop's input and output overlap;
    an update written in place over its input always does, so it runs the scalar loop (Adam's square
    root and division one element at a time). Carrying the previous ``W_01``, ``W_12`` and their
    moments as extra loop tensors keeps them alive: XLA writes their update to a new buffer,
    vectorised, and copies it back (TF 1.15 steps about 1.5x faster; TF 2.x gains nothing).
    """
    if release(version) >= IN_PLACE_VECTORISES_SINCE:
        return []
    return [index + part * count for part in range(3) for index in (0, 2)]


def carry(new, old, count):
    """A loop's next state: ``new``, then the values of ``old`` that ``out_of_place(count)`` keeps alive."""
    return tuple(new) + tuple(old[index] for index in out_of_place(count))


def adam_update(parameters, moments, beta_powers, gradients, learning_rate):
    """One step of TensorFlow's ``ApplyAdam`` kernel on tensors, as a tuple of the new state.

    ``moments`` holds the first moments then the second; ``beta_powers`` is
    ``(beta1**t, beta2**t)`` before the step, as the optimizer's accumulators hold them.
    """
    count = len(parameters)
    beta1_power, beta2_power = beta_powers
    step_size = learning_rate * tf.sqrt(1.0 - beta2_power) / (1.0 - beta1_power)
    new_parameters, first, second = [], [], []
    for parameter, m, v, gradient in zip(parameters, moments[:count], moments[count:], gradients):
        m = m + (gradient - m) * (1.0 - BETA1)
        v = v + (tf.square(gradient) - v) * (1.0 - BETA2)
        new_parameters.append(parameter - step_size * m / (tf.sqrt(v) + EPSILON))
        first.append(m)
        second.append(v)
    return tuple(new_parameters + first + second) + (beta1_power * BETA1, beta2_power * BETA2)


class _AdamState:
    """Adam's moments and beta powers as plain variables, for the fast engine's loop."""

    def __init__(self, parameters):
        with tf.name_scope("fast_adam"):
            zeros = [tf.zeros(parameter.shape) for parameter in parameters]
            self.first = [tf.Variable(z, trainable=False, use_resource=True, name="m") for z in zeros]
            self.second = [tf.Variable(z, trainable=False, use_resource=True, name="v") for z in zeros]
            self.beta_powers = [tf.Variable(beta, trainable=False, use_resource=True, name="beta_power")
                                for beta in (BETA1, BETA2)]

    def variables(self, parameters):
        return list(parameters) + self.first + self.second + self.beta_powers


def _by_output(state, count, transpose):
    """The fast loop's state as a list, ``W_01`` and its two moments transposed if ``transpose``
    (``(in, out)`` <-> ``(out, in)``); ``count`` is the number of parameters."""
    state = list(state)
    for index in (0, count, 2 * count) if transpose else ():
        state[index] = tf.transpose(state[index])
    return state
