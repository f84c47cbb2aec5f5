"""The blog's training loop: one ``session.run`` with a ``feed_dict`` per example, batch size 1."""

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
from mtneuron.data import DataSet
from mtneuron.models import build_graph
from mtneuron.records import SCHEMA_VERSION
from mtneuron.tf1 import tf


def session_config(threads=None):
    """A session config using ``threads`` threads per op pool (TensorFlow decides when None)."""
    if not threads:
        return tf.ConfigProto()
    return tf.ConfigProto(intra_op_parallelism_threads=threads, inter_op_parallelism_threads=threads)


def train_faithful(spec, datasets, threads=None, tensorboard_dir=None, progress=True, position=0):
    """Train and test one blog network as the blog did and return its run record (a dict).

    Every example is fed alone (``next_batch(1, shuffle=True)`` from a ``DataSet`` seeded
    with ``spec.seed``, so both models see the same order). The mean loss and accuracy of
    every ``spec.average_every`` examples form the curves. A non-finite loss stops training
    and marks the run ``diverged``; the test accuracy is still measured and recorded.
    """
    model = build_graph(spec.model, spec.hidden_sizes, spec.learning_rate, spec.seed)
    train = DataSet(datasets.train.images, datasets.train.labels, seed=spec.seed)
    input_shape = model.inputs.shape.as_list()
    fetches = [model.train_op, model.loss, model.accuracy, model.logits]
    total = spec.n_epochs * spec.n_examples
    losses, accuracies, window_loss, window_accuracy = [], [], [], []
    writer = _summary_writer(tensorboard_dir)
    started = time.time()
    with tf.Session(graph=model.graph, config=session_config(threads)) as session:
        session.run(model.init)
        bar = tqdm(total=total, desc=spec.filename[:-5], position=position, disable=not progress,
                   mininterval=1.0 if sys.stderr.isatty() else 30.0, unit="ex", leave=True)
        steps = 0
        while steps < total:
            images, labels = train.next_batch(1, shuffle=True)
            _, loss, accuracy, _ = session.run(
                fetches, feed_dict={model.inputs: images.reshape(input_shape), model.target: labels})
            steps += 1
            window_loss.append(loss)
            window_accuracy.append(accuracy)
            diverged = not math.isfinite(loss)
            if steps % spec.average_every == 0 or diverged:
                losses.append(float(np.mean(window_loss)))
                accuracies.append(float(np.mean(window_accuracy)))
                window_loss, window_accuracy = [], []
                _add_scalars(writer, steps, loss=losses[-1], accuracy=accuracies[-1])
                bar.set_postfix(loss="%.4g" % losses[-1], acc="%.3f" % accuracies[-1], refresh=False)
                bar.update(steps - bar.n)
            if diverged:
                break
        bar.close()
        train_time = time.time() - started
        test_accuracy = evaluate(session, model, datasets.test, spec.test_examples)
    wall_time = time.time() - started
    _add_scalars(writer, steps, test_accuracy=test_accuracy)
    if writer is not None:
        writer.close()
    record = {
        "n_examples": spec.n_examples,
        "n_epochs": spec.n_epochs,
        "learning_rate": spec.learning_rate,
        "losses": losses,
        "accuracies": accuracies,
        "accuracy": test_accuracy,
        "model": spec.model,
        "seed": spec.seed,
        "hidden_sizes": list(spec.hidden_sizes),
        "engine": spec.engine,
        "average_every": spec.average_every,
        "test_examples": spec.test_examples,
        "steps": steps,
        "diverged": diverged,
        "train_time_s": train_time,
        "wall_time_s": wall_time,
        "examples_per_second": steps / train_time,
        "started_at": started,
        "finished_at": started + wall_time,
        "threads": threads,
    }
    record.update(environment())
    record.update(spec=spec.to_dict(), schema_version=SCHEMA_VERSION, status="complete")
    return record


def evaluate(session, model, dataset, limit=None):
    """Accuracy over the first ``limit`` examples of ``dataset`` (all by default), fed one at a time."""
    count = dataset.num_examples if limit is None else min(limit, dataset.num_examples)
    input_shape = model.inputs.shape.as_list()
    correct = 0.0
    for index in range(count):
        feed = {model.inputs: dataset.images[index].reshape(input_shape),
                model.target: dataset.labels[index:index + 1]}
        correct += session.run(model.accuracy, feed_dict=feed)
    return float(correct / count)


def environment():
    """Versions and machine facts stored with every record."""
    return {
        "tensorflow_version": tf.version.VERSION,
        "python_version": platform.python_version(),
        "numpy_version": np.__version__,
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
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


def _summary_writer(directory):
    """A fresh v1 ``FileWriter`` for TensorBoard scalars, or None when not asked for."""
    if directory is None:
        return None
    shutil.rmtree(directory, ignore_errors=True)
    return tf.summary.FileWriter(directory, graph=None)


def _add_scalars(writer, step, **scalars):
    if writer is None:
        return
    values = [tf.Summary.Value(tag=tag, simple_value=value) for tag, value in scalars.items()]
    writer.add_summary(tf.Summary(value=values), step)
