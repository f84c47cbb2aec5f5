"""The trainers' shared base, and the in-graph engines: one ``session.run`` per chunk of steps.

Every engine keeps the blog's batch size 1, one Adam update per example, the data order of
``next_batch(1, shuffle=True)`` and the same test evaluation; the in-graph ones remove the
per-step Python and ``feed_dict`` overhead:

- ``ExactTrainer`` runs the blog graph's own ``AdamOptimizer`` inside a ``tf.while_loop``
  (``parallel_iterations=1``) and evaluates one example per loop step: parameters, curves and
  accuracies bit-identical to the faithful loop.
- ``FastTrainer`` carries the parameters and Adam's moments as loop tensors and compiles the loop
  with XLA (``tf.xla.experimental.compile``); its first layer is one matrix product on the pixels
  (``>= 0``), and it evaluates whole batches by matrix products. The terms are the same; the
  order of the floating-point sums is not.
"""

import numpy as np

from mtneuron import xla
from mtneuron.blog import NUM_CLASSES
from mtneuron.data import DataSet
from mtneuron.models import build_graph, correct_predictions, loss_and_accuracy
from mtneuron.tf1 import release, tf

BETA1, BETA2, EPSILON = 0.9, 0.999, 1e-8  # tf.train.AdamOptimizer's defaults
EVALUATION_BATCH = 10000  # examples per session.run of an accuracy evaluation


class Trainer:
    """One blog network in its session, with the data order of ``next_batch(1, shuffle=True)``.

    Subclasses add their ops in ``_build`` and train with ``steps(count)``, which returns the
    float32 losses, accuracies and measure vectors of the steps taken.
    """

    engine = None  # the engine's name, as records store it

    def __init__(self, spec, datasets, session_config):
        self.model = build_graph(spec.model, spec.hidden_sizes, spec.learning_rate, spec.seed, spec.measure)
        self.order = DataSet(datasets.train.images, datasets.train.labels, seed=spec.seed)
        with self.model.graph.as_default():
            resident = self._build(spec, datasets)
            self._saver = tf.train.Saver(tf.global_variables())  # not the resident data: in no collection
            init = tf.global_variables_initializer()
        self.session = tf.Session(graph=self.model.graph, config=session_config)
        self.session.run(init)
        for variable, values in resident:
            self.session.run(variable.initializer, feed_dict={variable.initial_value: values})

    def _build(self, spec, datasets):
        """Add this engine's ops to the graph; return the ``(variable, values)`` to fill after init."""
        return []

    def parameters(self):
        return self.session.run(self.model.parameters)

    def save_state(self, prefix):
        """Save every variable (parameters, Adam's state) as ``prefix.*``; return the data order's arrays."""
        self._saver.save(self.session, prefix, write_meta_graph=False, write_state=False)
        return self.order.state()

    def restore_state(self, prefix, arrays):
        """Restore the variables saved as ``prefix.*`` and the data order's ``arrays``: all or none."""
        order = DataSet(self.order.images, self.order.labels)
        order.set_state(arrays)
        self._saver.restore(self.session, prefix)
        self.order = order

    def close(self):
        self.session.close()


class InGraphTrainer(Trainer):
    """A ``Trainer`` whose data live in the graph: each chunk of steps is one ``session.run``.

    Subclasses build a chunk's loop (``_loop``) and the count of correct predictions (``_count_correct``).
    """

    def _build(self, spec, datasets):
        arrays = [("train_images", datasets.train.images), ("train_labels", datasets.train.labels)]
        self._data = {name: _resident(values, name) for name, values in arrays}
        self._chunks = {}
        self._eval_images = tf.placeholder(tf.float32, (None, datasets.test.images.shape[1]))
        self._eval_labels = tf.placeholder(tf.float32, (None, NUM_CLASSES))
        self._correct = self._count_correct(self._eval_images, self._eval_labels)
        return [(self._data[name], values) for name, values in arrays]

    def steps(self, count):
        """Train on the next ``count`` examples; return their float32 losses, accuracies and measures."""
        outputs, indices = self._chunk(count)
        return tuple(self.session.run(outputs, feed_dict={indices: self._next_indices(count)}))

    def _measures(self, *step):
        """A step's measure vector from ``Network.measure(*step)``, or an empty one when not measuring."""
        if self.model.measures is None:
            return tf.zeros([0])
        return self.model.network.measure(*step)[1]

    def _next_indices(self, count):
        """The next ``count`` indices of ``next_batch(1)``, drawn in pieces no larger than the set."""
        pieces = []
        while count > 0:
            pieces.append(self.order.next_indices(min(count, self.order.num_examples)))
            count -= len(pieces[-1])
        return np.concatenate(pieces)

    def accuracy(self, dataset, limit=None):
        """Accuracy over the first ``limit`` examples of ``dataset`` (all by default), counted in-graph."""
        count = dataset.num_examples if limit is None else min(limit, dataset.num_examples)
        correct = 0
        for start in range(0, count, EVALUATION_BATCH):
            end = min(start + EVALUATION_BATCH, count)
            correct += self.session.run(self._correct, feed_dict={
                self._eval_images: dataset.images[start:end], self._eval_labels: dataset.labels[start:end]})
        return float(correct) / count

    def _chunk(self, size):
        """The ops that train ``size`` steps (built once per size: XLA needs static shapes)."""
        if size not in self._chunks:
            with self.model.graph.as_default():
                indices = tf.placeholder(tf.int32, (size,), name="chunk_indices")
                images = tf.gather(self._data["train_images"], indices)
                labels = tf.gather(self._data["train_labels"], indices)
                self._chunks[size] = (self._loop(indices, images, labels), indices)
        return self._chunks[size]

    def _example(self, images, labels, step):
        """Example ``step`` of a chunk; ``tf.gather``, as TF 1.15's XLA needs constant slice bounds."""
        inputs = tf.reshape(tf.gather(images, step), self.model.inputs.shape)
        return inputs, tf.reshape(tf.gather(labels, step), (1, NUM_CLASSES))


class ExactTrainer(InGraphTrainer):
    """The blog graph's own Adam step per example, in a ``tf.while_loop``: bit-identical to faithful."""

    engine = "exact"

    def _loop(self, indices, images, labels):
        """The outputs of one chunk: the optimizer's update once per example."""
        size, model = images.shape.as_list()[0], self.model

        def body(step, *outputs):
            with tf.control_dependencies([step]):  # read the variables after the previous update
                values = [tf.identity(parameter.read_value()) for parameter in model.parameters]
            inputs, target = self._example(images, labels, step)
            logits, hidden = model.network.forward(values, inputs)
            loss, accuracy = loss_and_accuracy(logits, target)
            gradients = tf.gradients(loss, values)
            measures = self._measures(values, inputs, hidden, gradients)
            update = model.optimizer.apply_gradients(list(zip(gradients, model.parameters)))
            with tf.control_dependencies([update]):
                return (step + 1,) + _write(outputs, step, (loss, accuracy, measures))

        loop = tf.while_loop(lambda step, *_: step < size, body, (tf.constant(0),) + _arrays(size),
                             parallel_iterations=1)
        return _stack(loop[1:])

    def _count_correct(self, images, labels):
        """The number of right argmaxes, one example per loop step as the blog evaluated."""
        network, size = self.model.network, tf.shape(images)[0]
        parameters = [parameter.read_value() for parameter in self.model.parameters]

        def body(step, correct):
            inputs, target = self._example(images, labels, step)
            _, accuracy = loss_and_accuracy(network.forward(parameters, inputs)[0], target)
            return step + 1, correct + tf.cast(accuracy, tf.int32)

        return tf.while_loop(lambda step, _: step < size, body, [tf.constant(0), tf.constant(0)])[1]


class FastTrainer(InGraphTrainer):
    """Parameters and Adam's moments as loop tensors, the whole chunk compiled by XLA.

    The first layer is one matrix product (``Network.first_layer``), so the training images must be
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
                return (step + 1,) + _write(outputs, step, results) + carry(updated, state, count)

            initial = tuple(_by_output(state, count, transpose))
            start = (tf.constant(0),) + _arrays(size) + carry(initial, initial, count)
            loop = tf.while_loop(lambda step, *_: step < size, body, start, parallel_iterations=1)
            return _stack(loop[1:4]) + _by_output(loop[4:4 + len(initial)], count, transpose)

        variables = self._adam.variables(self.model.parameters)
        outputs = tf.xla.experimental.compile(chunk, [images, labels]
                                              + [variable.read_value() for variable in variables])
        save = [variable.assign(value) for variable, value in zip(variables, outputs[3:])]
        with tf.control_dependencies(save):
            return [tf.identity(output) for output in outputs[:3]]

    def _step(self, parameters, inputs, target):
        """One example's ``(loss, accuracy, measures)`` and its gradients, the first layer's by hand."""
        network = self.model.network
        logits, hidden, first_positive, first_gradients = network.fast_forward(
            parameters, tf.reshape(inputs, (-1,)))
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


def _arrays(size):
    """TensorArrays for a loop's per-step losses, accuracies and measure vectors."""
    return tuple(tf.TensorArray(tf.float32, size) for _ in range(3))


def _stack(arrays):
    return [array.stack() for array in arrays]


def _write(arrays, step, values):
    return tuple(array.write(step, value) for array, value in zip(arrays, values))


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


def _resident(values, name):
    """A non-trainable variable holding ``values``, filled once through its placeholder."""
    initial = tf.placeholder(tf.as_dtype(values.dtype), values.shape, name=name + "_initial")
    return tf.Variable(initial, trainable=False, collections=[], use_resource=True, name=name)
