"""Part II: minibatch training of multi- and central-threshold MLPs and CNNs on MNIST.

Batches are served by ``next_batch(batch_size, shuffle=True)`` from a ``DataSet`` seeded
with the run's seed; curves average every 1,100 training examples as in the blog; the
validation set (the first 5,000 training images) is scored after every epoch, the test set
once at the end.
"""

import math
import time

import numpy as np

from mtneuron.data import DataSet
from mtneuron.models import build_graph, build_minibatch_graph
from mtneuron.tf1 import tf
from mtneuron.training import Curves, complete_record, session_config

EVALUATION_BATCH = 500


def train(spec, datasets, threads=None, tensorboard_dir=None, progress=True, position=0):
    """Train and evaluate one part-II network; return its run record (a dict)."""
    started = time.time()
    model = build_minibatch_graph(spec.architecture, spec.kind, spec.init, spec.learning_rate, spec.seed)
    order = DataSet(datasets.train.images, datasets.train.labels, seed=spec.seed)
    steps_per_epoch = min(spec.n_examples, order.num_examples) // spec.batch_size
    window = max(1, spec.average_every // spec.batch_size)
    curves = Curves(spec.n_epochs * steps_per_epoch * spec.batch_size, spec.filename[:-5],
                    tensorboard_dir=tensorboard_dir, progress=progress, position=position)
    validation, window_loss, window_accuracy = [], [], []
    diverged, examples = False, 0
    with tf.Session(graph=model.graph, config=session_config(threads)) as session:
        session.run(model.init)
        for _ in range(spec.n_epochs):
            for _ in range(steps_per_epoch):
                images, labels = order.next_batch(spec.batch_size, shuffle=True)
                _, loss, accuracy = session.run([model.train_op, model.loss, model.accuracy],
                                                feed_dict={model.inputs: images, model.target: labels})
                window_loss.append(loss)
                window_accuracy.append(accuracy)
                examples += spec.batch_size
                diverged = not math.isfinite(loss)
                if len(window_loss) == window or diverged:
                    curves.add((window_loss, window_accuracy), examples)
                    curves.advance(examples)
                    window_loss, window_accuracy = [], []
                if diverged:
                    break
            validation.append(evaluate(session, model, datasets.validation))
            curves.scalars(examples, validation_accuracy=validation[-1])
            if diverged:
                break
        train_time = time.time() - started
        test_accuracy = evaluate(session, model, datasets.test)
    curves.close()
    return complete_record(dict(
        spec.to_dict(), losses=curves.losses, accuracies=curves.accuracies,
        validation_accuracies=validation, validation_accuracy=validation[-1], accuracy=test_accuracy,
        diverged=diverged, examples_per_point=window * spec.batch_size, examples=examples,
        examples_per_second=examples / train_time), spec, started, train_time, threads)


def evaluate(session, model, dataset, batch_size=EVALUATION_BATCH):
    """Accuracy over a whole data set, scored in batches (the networks take any batch size)."""
    correct = 0.0
    for start in range(0, dataset.num_examples, batch_size):
        feed = {model.inputs: dataset.images[start:start + batch_size],
                model.target: dataset.labels[start:start + batch_size]}
        correct += session.run(model.accuracy, feed_dict=feed) * len(feed[model.inputs])
    return float(correct / dataset.num_examples)


def nonnegative_linearity(images, seed=21, pairs=1000):
    """Measure that the blog's first multi-threshold layer is linear on pixels, unlike a ReLU layer.

    For ``x >= 0``, ``sum_i relu(W_ji x_i) = sum_i relu(W_ji) x_i``: the layer is the linear map
    ``relu(W) x + b``. On ``pairs`` random pairs of images and weights ``a, b >= 0`` this returns
    the largest relative deviation from additivity, ``f(a x + b y) - b_1`` against
    ``a (f(x) - b_1) + b (f(y) - b_1)``, for the blog's multi- and central-threshold first layers,
    and the multi layer's largest relative deviation from ``relu(W) x + b``.
    """
    rng = np.random.RandomState(seed)
    first, second = (images[rng.randint(0, len(images), pairs)] for _ in range(2))
    weights = rng.rand(2, pairs, 1).astype(np.float32)
    mixed = weights[0] * first + weights[1] * second
    result = {"pairs": pairs}
    for kind in ("multi", "central"):
        model = build_graph(kind, seed=seed)
        with tf.Session(graph=model.graph) as session:
            session.run(model.init)
            bias = session.run(model.parameters[1])
            outputs = [np.stack([session.run(model.hidden[0], {model.inputs: x.reshape(
                model.inputs.shape.as_list())}).reshape(-1) for x in batch]) - bias
                for batch in (first, second, mixed)]
            if kind == "multi":
                linear = first @ np.maximum(session.run(model.parameters[0]), 0).T
                result["multi_vs_relu_w_x"] = _relative(outputs[0], linear)
        combined = weights[0] * outputs[0] + weights[1] * outputs[1]
        result[kind + "_additivity"] = _relative(outputs[2], combined)
    return result


def _relative(actual, expected):
    """Largest ``|actual - expected|`` relative to the largest ``|expected|`` of its row."""
    scale = np.maximum(np.abs(expected).max(axis=1, keepdims=True), 1e-30)
    return float((np.abs(actual - expected) / scale).max())
