"""The trainers' shared base, the blog's faithful loop and the exact in-graph engine.

Every engine keeps the blog's batch size 1, one Adam update per example, the data order of
``next_batch(1, shuffle=True)`` and the same test evaluation; the in-graph ones remove the
per-step Python and ``feed_dict`` overhead:

- ``FaithfulTrainer`` is the blog's loop: one ``session.run`` with a ``feed_dict`` per example.

- ``ExactTrainer`` runs the blog graph's own ``AdamOptimizer`` inside a ``tf.while_loop``
  (``parallel_iterations=1``) and evaluates one example per loop step: parameters, curves and
  accuracies bit-identical to the faithful loop.
- ``fast.FastTrainer`` carries the parameters and Adam's moments as loop tensors and compiles the
  loop with XLA (``tf.xla.experimental.compile``).
"""

import math

import numpy as np

from mtneuron.blog import NUM_CLASSES
from mtneuron.data import DataSet
from mtneuron.measurements import step_measurements
from mtneuron.models import build_graph, loss_and_accuracy
from mtneuron.tf1 import tf

ACCURACY_CHUNK = 10000  # examples per session.run of an accuracy evaluation


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
        """A step's measure vector from ``measurements.step_measurements``, or an empty one when not
        measuring."""
        if self.model.measures is None:
            return tf.zeros([0])
        return step_measurements(self.model.network, *step)[1]

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
        for start in range(0, count, ACCURACY_CHUNK):
            end = min(start + ACCURACY_CHUNK, count)
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
                return (step + 1,) + write(outputs, step, (loss, accuracy, measures))

        loop = tf.while_loop(lambda step, *_: step < size, body, (tf.constant(0),) + arrays(size),
                             parallel_iterations=1)
        return stack(loop[1:])

    def _count_correct(self, images, labels):
        """The number of right argmaxes, one example per loop step as the blog evaluated."""
        network, size = self.model.network, tf.shape(images)[0]
        parameters = [parameter.read_value() for parameter in self.model.parameters]

        def body(step, correct):
            inputs, target = self._example(images, labels, step)
            _, accuracy = loss_and_accuracy(network.forward(parameters, inputs)[0], target)
            return step + 1, correct + tf.cast(accuracy, tf.int32)

        return tf.while_loop(lambda step, _: step < size, body, [tf.constant(0), tf.constant(0)])[1]


class FaithfulTrainer(Trainer):
    """The blog's loop: one ``session.run`` with a ``feed_dict`` per example, batch size 1."""

    engine = "faithful"

    def steps(self, count):
        """Train on the next ``count`` examples, stopping after a non-finite loss.

        Returns the float32 losses, accuracies and measure vectors of the steps taken.
        """
        model = self.model
        fetches = [model.train_op, model.loss, model.accuracy, model.logits]  # the blog's fetches
        fetches += [] if model.measures is None else [model.measures]
        results = []
        for _ in range(count):
            images, labels = self.order.next_batch(1, shuffle=True)
            results.append(self.session.run(fetches, feed_dict={
                model.inputs: images.reshape(model.network.input_shape), model.target: labels})[1:])
            if not math.isfinite(results[-1][0]):
                break
        losses, accuracies = (np.array([result[index] for result in results], np.float32) for index in (0, 1))
        measures = np.array([result[3:] for result in results], np.float32).reshape(len(results), -1)
        return losses, accuracies, measures

    def accuracy(self, dataset, limit=None):
        """Accuracy over the first ``limit`` examples of ``dataset`` (all by default), fed one at a time."""
        count = dataset.num_examples if limit is None else min(limit, dataset.num_examples)
        model = self.model
        correct = 0.0
        for index in range(count):
            correct += self.session.run(model.accuracy, feed_dict={
                model.inputs: dataset.images[index].reshape(model.network.input_shape),
                model.target: dataset.labels[index:index + 1]})
        return float(correct / count)


def _resident(values, name):
    """A non-trainable variable holding ``values``, filled once through its placeholder."""
    initial = tf.placeholder(tf.as_dtype(values.dtype), values.shape, name=name + "_initial")
    return tf.Variable(initial, trainable=False, collections=[], use_resource=True, name=name)


def arrays(size):
    """TensorArrays for a loop's per-step losses, accuracies and measure vectors."""
    return tuple(tf.TensorArray(tf.float32, size) for _ in range(3))


def stack(arrays):
    return [array.stack() for array in arrays]


def write(arrays, step, values):
    return tuple(array.write(step, value) for array, value in zip(arrays, values))
