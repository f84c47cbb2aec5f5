"""Training runs: the driver all engines share, and the blog's faithful per-example loop."""

import math
import os
import platform
import shutil
import subprocess
import sys
import time

import numpy as np
from tqdm.auto import tqdm

import mtneuron
from mtneuron import xla
from mtneuron.run.records import SCHEMA_VERSION, RunContext
from mtneuron.tf1 import tf
from mtneuron.train import engine
from mtneuron.train.checkpoints import Checkpoints


def session_config(threads=None):
    """A session config using ``threads`` threads per op pool (TensorFlow decides when None)."""
    if not threads:
        return tf.ConfigProto()
    return tf.ConfigProto(intra_op_parallelism_threads=threads, inter_op_parallelism_threads=threads)


def make_trainer(spec, datasets, threads=None):
    """The trainer of ``spec.engine``, with ``threads`` TensorFlow threads per op pool.

    Where this TensorFlow build has no XLA the fast engine falls back to exact, with a one-line
    warning; the trainer's ``engine`` names the engine that trains.
    """
    config = session_config(threads)
    name = spec.engine
    if name == "fast" and not xla.available(config):
        print("mtneuron: this TensorFlow build has no XLA: the fast engine falls back to exact",
              file=sys.stderr)
        name = "exact"
    return TRAINERS[name](spec, datasets, config)


def train(spec, datasets, context=None):
    """Train and test one blog network with ``spec.engine``, run as ``context`` says (a ``RunContext``;
    its defaults when None); return its run record (a dict).

    Every engine sees the examples of ``next_batch(1, shuffle=True)`` from a ``DataSet``
    seeded with ``spec.seed`` (both models see the same order). The mean loss and accuracy
    of every ``spec.average_every`` examples form the curves, and the window means of the
    per-step measurements are recorded with them. A non-finite loss ends training and marks
    the run ``diverged``; the test accuracy, and the training accuracy on the first
    ``spec.n_examples`` training examples, are still measured. With ``context.checkpoint_dir`` the
    run is checkpointed there at the end of every epoch and resumes from its last checkpoint, with
    the curves and parameters of an uninterrupted run.
    """
    started, context = time.time(), context or RunContext()
    trainer = make_trainer(spec, datasets, context.threads)
    initial = trainer.parameters()  # the seed's weights: a checkpoint is restored later, in _run
    curves = Curves(spec.n_epochs * spec.n_examples, spec.name, trainer.model.measure_names,
                    context.tensorboard_dir, context.progress, context.position)
    try:
        checkpoint = Checkpoints(context.checkpoint_dir, spec, trainer)
        steps, diverged, train_time = _run(spec, trainer, curves, checkpoint, started)
        test_accuracy = trainer.accuracy(datasets.test, spec.test_examples)
        train_accuracy = trainer.accuracy(datasets.train, spec.n_examples)
        curves.scalars(steps, test_accuracy=test_accuracy, train_accuracy=train_accuracy)
        changes = weight_changes(trainer.model, initial, trainer.parameters(), datasets.train.images)
    finally:
        trainer.close()
        curves.close()
    fields = _record(spec, trainer.engine, curves, steps, diverged, test_accuracy, train_accuracy)
    fields.update(changes, examples_per_second=steps / train_time)
    return complete_record(fields, spec, started, train_time, context.threads)


def _run(spec, trainer, curves, checkpoint, started):
    """Train from the last checkpoint (if any) to the end or the first non-finite loss, adding each
    full window to ``curves``; return ``(steps, diverged, train_time)``."""
    total, measures = spec.n_epochs * spec.n_examples, len(trainer.model.measure_names)
    empty = (np.zeros(0, np.float32), np.zeros(0, np.float32), np.zeros((0, measures), np.float32))
    steps, window, earlier = checkpoint.restore(curves) or (0, empty, 0.0)
    diverged = False
    while steps < total and not diverged:
        # a chunk ends where its window, its epoch or the run ends, whichever comes first
        chunk = trainer.steps(min(spec.average_every - len(window[0]), total - steps,
                                  spec.n_examples - steps % spec.n_examples))
        chunk, diverged = _until_divergence(chunk)
        steps += len(chunk[0])
        window = [np.concatenate(pair) for pair in zip(window, chunk)]
        if len(window[0]) == spec.average_every or diverged:
            curves.add(window, steps)
            window = empty
        curves.advance(steps)
        if steps % spec.n_examples == 0 and not diverged:
            checkpoint.save(curves, steps, window, earlier + time.time() - started)
    return steps, diverged, earlier + time.time() - started


def weight_changes(model, initial, final, images):
    """The record's ``weights_unchanged`` (per weight matrix of ``model``, a ``BlogGraph``, the fraction
    of entries still at their initial values) and ``weights_frozen`` (the fraction that no step on
    ``images`` could change)."""
    frozen = model.network.frozen_weights(initial, images)
    names = [weights.op.name for weights in model.parameters[::2]]
    unchanged = [np.mean(before == after) for before, after in zip(initial[::2], final[::2])]
    return {"weights_unchanged": {name: float(value) for name, value in zip(names, unchanged)},
            "weights_frozen": {name: float(np.mean(mask)) for name, mask in zip(names, frozen)}}


def _until_divergence(chunk):
    """A chunk's values up to and including its first non-finite loss, and whether it has one."""
    finite = np.isfinite(chunk[0])
    if finite.all():
        return chunk, False
    end = int(np.argmin(finite)) + 1
    return [values[:end] for values in chunk], True


def _record(spec, engine_name, curves, steps, diverged, test_accuracy, train_accuracy):
    """A run's numbers and settings, as its record holds them."""
    return {
        "n_examples": spec.n_examples,
        "n_epochs": spec.n_epochs,
        "learning_rate": spec.learning_rate,
        "losses": curves.losses,
        "accuracies": curves.accuracies,
        "accuracy": test_accuracy,
        "train_accuracy": train_accuracy,
        "train_test_gap": train_accuracy - test_accuracy,
        "measurements": curves.measurements,
        "measured": spec.measure,
        "model": spec.model,
        "seed": spec.seed,
        "hidden_sizes": list(spec.hidden_sizes),
        "engine": engine_name,
        "average_every": spec.average_every,
        "test_examples": spec.test_examples,
        "steps": steps,
        "diverged": diverged,
    }


def complete_record(fields, spec, started, train_time, threads):
    """Add timing, threads, versions, the spec and the schema to a run's ``fields``; mark it complete."""
    wall_time = time.time() - started
    fields.update(train_time_s=train_time, wall_time_s=wall_time, started_at=started,
                  finished_at=started + wall_time, threads=threads)
    fields.update(environment())
    fields.update(spec=spec.to_dict(), schema_version=SCHEMA_VERSION, status="complete")
    return fields


class Curves:
    """A run's curves: the mean loss, accuracy and measurements of every window of examples, also
    written as TensorBoard scalars (v1 summary API) and shown on a tqdm progress bar."""

    def __init__(self, total, name, measure_names=(), tensorboard_dir=None, progress=True, position=0):
        self.losses, self.accuracies = [], []
        self.measurements = {measure: [] for measure in measure_names}
        self.writer = None
        if tensorboard_dir is not None:
            shutil.rmtree(tensorboard_dir, ignore_errors=True)
            self.writer = tf.summary.FileWriter(tensorboard_dir, graph=None)
        self.bar = tqdm(total=total, desc=name, position=position, disable=not progress, unit="ex",
                        mininterval=1.0 if sys.stderr.isatty() else 30.0)

    def add(self, window, examples):
        """Append the means of a window's losses, accuracies (and measures, one row per example)
        as the point at ``examples`` examples trained."""
        means = np.mean(window[2], axis=0) if self.measurements else ()
        self._append(float(np.mean(window[0])), float(np.mean(window[1])),
                     {measure: float(mean) for measure, mean in zip(self.measurements, means)}, examples)

    def resume(self, losses, accuracies, measurements, every):
        """Start from a checkpoint's points, one every ``every`` examples, writing their scalars again."""
        for index, (loss, accuracy) in enumerate(zip(losses, accuracies)):
            point = {measure: measurements[measure][index] for measure in self.measurements}
            self._append(loss, accuracy, point, (index + 1) * every)

    def _append(self, loss, accuracy, measures, examples):
        """Append one point of every curve, at ``examples`` examples trained."""
        self.losses.append(loss)
        self.accuracies.append(accuracy)
        for measure, value in measures.items():
            self.measurements[measure].append(value)
        self.scalars(examples, loss=loss, accuracy=accuracy, **measures)
        self.bar.set_postfix(loss="%.4g" % loss, acc="%.3f" % accuracy, refresh=False)

    def advance(self, examples):
        """Move the progress bar to ``examples`` examples trained."""
        self.bar.update(examples - self.bar.n)

    def scalars(self, examples, **values):
        """Write named scalars to TensorBoard at ``examples`` examples trained."""
        if self.writer is not None:
            summary = tf.Summary(value=[tf.Summary.Value(tag=tag, simple_value=value)
                                        for tag, value in values.items()])
            self.writer.add_summary(summary, examples)

    def close(self):
        self.bar.close()
        if self.writer is not None:
            self.writer.close()


class FaithfulTrainer(engine.Trainer):
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


TRAINERS = {trainer.engine: trainer for trainer in (FaithfulTrainer, engine.ExactTrainer, engine.FastTrainer)}


def environment():
    """Versions and machine facts stored with every record."""
    return {
        "tensorflow_version": tf.version.VERSION,
        "python_version": platform.python_version(),
        "numpy_version": np.__version__,
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS"),
        "xla_flags": os.environ.get("XLA_FLAGS"),
        "mtneuron_version": mtneuron.__version__,
        "git_commit": _git_commit(),
    }


def _git_commit():
    """The commit of the mtneuron checkout that ran, or None outside a git checkout."""
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True,
                              cwd=os.path.dirname(os.path.abspath(mtneuron.__file__))).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
