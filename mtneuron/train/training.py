"""The driver every batch-1 engine shares: a run from its spec to its record (curves averaged every
1,100 examples, divergence, checkpoints, the frozen weights), and the engines by name."""

import sys
import time

import numpy as np

from mtneuron import tf1, xla
from mtneuron.measurements import frozen_weights
from mtneuron.run import files
from mtneuron.run.records import RunContext
from mtneuron.train import engine, fast
from mtneuron.train.checkpoints import Checkpoints
from mtneuron.train.recording import Curves, complete_record


def make_trainer(spec, datasets, threads=None):
    """The trainer of ``spec.engine``, with ``threads`` TensorFlow threads per op pool.

    Where this TensorFlow build has no XLA the fast engine falls back to exact, with a one-line
    warning; the trainer's ``engine`` names the engine that trains.
    """
    config = tf1.session_config(threads)
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
        final = trainer.parameters()
        changes = weight_changes(trainer.model, initial, final, datasets.train.images)
        if context.weights_path:  # before the record, which marks the run complete
            names = [parameter.op.name for parameter in trainer.model.parameters]
            files.write_npz(context.weights_path, dict(zip(names, final)))
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
    frozen = frozen_weights(model.network, initial, images)
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


TRAINERS = {trainer.engine: trainer
            for trainer in (engine.FaithfulTrainer, engine.ExactTrainer, fast.FastTrainer)}
