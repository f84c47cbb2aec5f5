"""What every run records, whatever trains it: its curves (also TensorBoard scalars and a progress bar), the
versions and machine it ran on, and the completed record."""

import os
import platform
import shutil
import subprocess
import sys
import time

import numpy as np
from tqdm.auto import tqdm

import mtneuron
from mtneuron.run.records import SCHEMA_VERSION
from mtneuron.tf1 import tf


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
