"""Per-epoch checkpoints of a blog run, so that a run killed at any moment resumes from its last epoch.

A run's checkpoint directory holds, for the last epoch ``k`` it completed, what the trainer's
``save_state`` writes (the TensorFlow variables, a v1 ``Saver``'s ``epoch-k.index`` and
``epoch-k.data-*``: parameters and Adam's state), the data order and the per-step values of the
averaging window in progress (``epoch-k.npz``), and ``state.json``: the spec, the files' name,
the steps, the curves so far and the training time. Epoch ``k``'s files are written under new
names first, then ``state.json`` is replaced atomically to point to them, and only then are older
files deleted: a kill at any moment leaves the previous checkpoint or the new one, complete.
"""

import json
import os
import shutil
import sys
import zipfile

import numpy as np

from mtneuron.run.files import atomic_path, write_text
from mtneuron.tf1 import tf

STATE = "state.json"
WINDOW = ("window_losses", "window_accuracies", "window_measures")
UNUSABLE = (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile, tf.errors.OpError)


class Checkpoints:
    """The checkpoints of ``trainer``'s run of ``spec`` in ``directory`` (none when it is None)."""

    def __init__(self, directory, spec, trainer):
        self.directory, self.spec, self.trainer = directory, spec, trainer

    def save(self, curves, steps, window, train_time):
        """Checkpoint the run at the end of an epoch, ``steps`` steps and ``train_time`` seconds in."""
        if self.directory is None:
            return
        name = "epoch-%d" % (steps // self.spec.n_examples)
        prefix = os.path.join(self.directory, name)
        os.makedirs(self.directory, exist_ok=True)
        order = self.trainer.save_state(prefix)
        with atomic_path(prefix + ".npz") as temporary, open(temporary, "wb") as stream:
            np.savez(stream, **order, **dict(zip(WINDOW, window)))
        write_text(os.path.join(self.directory, STATE), json.dumps({  # the switch to epoch k's files
            "spec": self.spec.to_dict(), "name": name, "steps": steps, "train_time": train_time,
            "losses": curves.losses, "accuracies": curves.accuracies, "measurements": curves.measurements}))
        for other in os.listdir(self.directory):  # older epochs and what killed saves left behind
            if other != STATE and not other.startswith(name + "."):
                _remove(os.path.join(self.directory, other))

    def restore(self, curves):
        """Restore the trainer and ``curves`` from this spec's last checkpoint.

        Returns ``(steps, window, train_time)`` to continue from, or None (and an emptied
        directory) when there is no checkpoint or it is unusable, with a one-line warning.
        """
        if self.directory is None or not os.path.exists(os.path.join(self.directory, STATE)):
            return None
        try:
            steps, window, train_time, points = self._load()
        except UNUSABLE as error:
            print("mtneuron: ignoring the checkpoint in %s (%s): the run starts from the beginning"
                  % (self.directory, _reason(error)), file=sys.stderr)
            shutil.rmtree(self.directory, ignore_errors=True)
            return None
        curves.resume(*points, every=self.spec.average_every)
        curves.advance(steps)
        print("mtneuron: %s resumes from its checkpoint after %d of %d epochs"
              % (self.spec.name, steps // self.spec.n_examples, self.spec.n_epochs), file=sys.stderr)
        return steps, window, train_time

    def _load(self):
        """Read and check the checkpoint ``state.json`` points to, then restore the trainer from it
        (``restore_state``); return ``(steps, window, train_time, (losses, accuracies, measurements))``."""
        with open(os.path.join(self.directory, STATE)) as stream:
            state = json.load(stream)
        if state["spec"] != self.spec.to_dict():
            raise ValueError("made with other settings")
        steps, train_time = int(state["steps"]), float(state["train_time"])
        points = tuple(state[key] for key in ("losses", "accuracies", "measurements"))
        prefix = os.path.join(self.directory, state["name"])
        zipfile.ZipFile(prefix + ".npz").close()  # fails once here; numpy 1.18 would add a __del__ traceback
        with np.load(prefix + ".npz") as stored:
            arrays = {key: stored[key] for key in stored.files}
        window = [arrays[key] for key in WINDOW]
        self.trainer.restore_state(prefix, arrays)  # all or nothing
        return steps, window, train_time, points


def _reason(error):
    """An error in one line: its type, and its first line unless TensorFlow's (a graph trace)."""
    lines = [] if isinstance(error, tf.errors.OpError) else str(error).strip().splitlines()
    return ": ".join([type(error).__name__] + lines[:1])


def _remove(path):
    if os.path.isdir(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        os.remove(path)
