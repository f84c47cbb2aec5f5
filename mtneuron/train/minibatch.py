"""The minibatch training loop with early stopping, shared by part II and the comparison study, and its
run spec. The networks are in ``networks``. Importing this module imports no TensorFlow."""

import dataclasses
import math
import os
import sys
import time
import typing

from mtneuron import blog, data
from mtneuron.data import DataSet
from mtneuron.networks import CALIBRATION_IMAGES, build_graph, derive_init
from mtneuron.run import records

EVALUATION_BATCH = 500


def prefer_onednn():
    """Let TensorFlow use oneDNN's faster kernels in worker processes unless the user said otherwise.

    ``tf1`` turns oneDNN off to match TF 1.15's numbers (in this process, if it is loaded: its
    ``ONEDNN_CHOSEN`` keeps the user's own setting), but minibatch studies have no such numbers to
    match. Workers started after this inherit it, and every record stores it.
    """
    tf1 = sys.modules.get("mtneuron.tf1")
    chosen = os.environ.get("TF_ENABLE_ONEDNN_OPTS") if tf1 is None else tf1.ONEDNN_CHOSEN
    os.environ["TF_ENABLE_ONEDNN_OPTS"] = "1" if chosen is None else chosen


# ---- a run


@dataclasses.dataclass(frozen=True)
class MinibatchSpec(records.Spec):
    """A minibatch run: a network (``build_graph``) trained by ``train``; part II's file names."""

    architecture: str
    kind: str
    batch_size: int
    init: str = "scaled"
    learning_rate: float = blog.LEARNING_RATE
    seed: int = blog.SEED
    n_epochs: int = 2  # the most epochs trained
    n_examples: int = blog.TRAIN_EXAMPLES
    average_every: int = blog.AVERAGE_EVERY
    patience: typing.Optional[int] = None  # early stopping (see ``train``); None: the last epoch scored
    dataset: str = "mnist"  # one of data.DATA_SETS
    centred: bool = False  # the training set's per-feature mean subtracted from every input

    @property
    def filename(self):
        """``run_{architecture}_{kind}_{init}_b{batch}.json``, with ``_seed{seed}`` unless the blog's."""
        return "run_%s_%s_%s_b%d%s.json" % (self.architecture, self.kind, self.init, self.batch_size,
                                            records.seed_suffix(self.seed))


# ---- training


def train(spec, datasets, context):
    """Train and evaluate one minibatch network and return its run record (a dict).

    An epoch is ``n_examples // batch_size`` batches from ``next_batch(batch_size, shuffle=True)``
    of a ``DataSet`` seeded with the run's seed. Each curve point is the mean of
    ``average_every // batch_size`` batches, and the windows run on across epochs. The validation set
    is scored after every epoch. With ``spec.patience``, training stops once that many epochs in a row
    bring no better validation accuracy (or after ``n_epochs``) and the best epoch's parameters are put
    back: the run is scored there (validation, and the test set once). Without, every epoch trains and
    the last is scored. A non-finite loss ends training.
    """
    from mtneuron import xla
    from mtneuron.tf1 import session_config, tf
    from mtneuron.train.recording import Curves, complete_record

    started = time.time()
    xla.available(session_config(context.threads))  # before any session: its pools are the run's
    datasets = data.centred(datasets) if spec.centred else datasets
    images = datasets.train.images
    model = build_graph(spec.architecture, spec.kind, spec.init, spec.learning_rate, spec.seed,
                        images.shape[1], bool(images.min() >= 0))
    steps_per_epoch = min(spec.n_examples, datasets.train.num_examples) // spec.batch_size
    curves = Curves(spec.n_epochs * steps_per_epoch * spec.batch_size, spec.name,
                    tensorboard_dir=context.tensorboard_dir, progress=context.progress,
                    position=context.position)
    window = _Window(curves, max(1, spec.average_every // spec.batch_size))
    with tf.Session(graph=model.graph, config=session_config(context.threads)) as session:
        session.run(model.init)
        derive_init(session, model, datasets.train.images[:CALIBRATION_IMAGES])
        best = _BestEpoch(session, model, spec.patience)
        validation, examples, step_time = _train_epochs(session, model, spec, datasets, window,
                                                        steps_per_epoch, best)
        train_time = time.time() - started
        best.restore()
        test_accuracy = evaluate(session, model, datasets.test)
    curves.close()
    return complete_record(dict(
        spec.to_dict(), losses=curves.losses, accuracies=curves.accuracies,
        validation_accuracies=validation, validation_accuracy=best.accuracy, best_epoch=best.epoch,
        epochs_trained=len(validation), accuracy=test_accuracy,
        diverged=window.diverged, examples_per_point=window.batches * spec.batch_size, examples=examples,
        examples_per_second=examples / train_time, us_per_step=1e6 * step_time * spec.batch_size / examples),
        spec, started, train_time, context.threads)


def _train_epochs(session, model, spec, datasets, window, steps_per_epoch, best):
    """Train epoch after epoch and score the validation set after each one (``best`` keeps the epoch to
    score), stopping after a non-finite loss or where ``best`` says. Returns the validation accuracies,
    the number of examples trained and the seconds spent in training steps (feeding included)."""
    order = DataSet(datasets.train.images, datasets.train.labels, seed=spec.seed)
    fetches = [model.train_op, model.loss, model.accuracy]
    validation, examples, step_time = [], 0, 0.0
    for _ in range(spec.n_epochs):
        epoch_started = time.time()
        for _ in range(steps_per_epoch):
            images, labels = order.next_batch(spec.batch_size, shuffle=True)
            _, loss, accuracy = session.run(fetches, feed_dict={model.inputs: images, model.target: labels})
            examples += spec.batch_size
            if not window.add(loss, accuracy, examples):
                break
        step_time += time.time() - epoch_started
        validation.append(evaluate(session, model, datasets.validation))
        window.curves.scalars(examples, validation_accuracy=validation[-1])
        if best.add(validation[-1]) or window.diverged:
            break
    return validation, examples, step_time


class _BestEpoch:
    """The epoch a run is scored at: under early stopping (``patience`` epochs) the one with the best
    validation accuracy so far, its parameters kept in memory; else the last epoch."""

    def __init__(self, session, model, patience):
        self.session, self.model, self.patience = session, model, patience
        self.epochs, self.epoch, self.accuracy, self.values = 0, 0, None, None

    def add(self, accuracy):
        """Count one more epoch scored ``accuracy``; returns whether early stopping ends training."""
        self.epochs += 1
        if self.patience is None or self.accuracy is None or accuracy > self.accuracy:
            self.epoch, self.accuracy = self.epochs, accuracy
            self.values = None if self.patience is None else self.session.run(self.model.parameters)
        return self.patience is not None and self.epochs - self.epoch >= self.patience

    def restore(self):
        """Put the best epoch's parameters back (nothing to do without early stopping)."""
        if self.values is not None:
            placeholders, assign = self.model.restore
            self.session.run(assign, dict(zip(placeholders, self.values)))


class _Window:
    """The batches since the last curve point. Every ``batches`` batches, or after a non-finite loss,
    their means become a point of ``curves``."""

    def __init__(self, curves, batches):
        self.curves, self.batches = curves, batches
        self.losses, self.accuracies = [], []
        self.diverged = False

    def add(self, loss, accuracy, examples):
        """Add one batch's loss and accuracy. Returns whether training goes on (the loss is finite)."""
        self.losses.append(loss)
        self.accuracies.append(accuracy)
        self.diverged = not math.isfinite(loss)
        if len(self.losses) == self.batches or self.diverged:
            self.curves.add((self.losses, self.accuracies), examples)
            self.curves.advance(examples)
            self.losses, self.accuracies = [], []
        return not self.diverged


def evaluate(session, model, dataset, batch_size=EVALUATION_BATCH):
    """Accuracy over a whole data set, scored in batches (the networks take any batch size)."""
    correct = 0.0
    for start in range(0, dataset.num_examples, batch_size):
        feed = {model.inputs: dataset.images[start:start + batch_size],
                model.target: dataset.labels[start:start + batch_size]}
        correct += session.run(model.accuracy, feed_dict=feed) * len(feed[model.inputs])
    return float(correct / dataset.num_examples)
