"""TensorBoard HParams for every run of a sweep, so ``tensorboard --logdir OUT/tensorboard`` shows a
study as a table and as parallel coordinates.

Each run's directory gets the HParams plugin's session start (the run's settings), its final metrics as
scalars and the session end, through the v1 summary API (``tf.summary.FileWriter``) on TF 1.15 and 2.x.
With no experiment summary, TensorBoard builds the experiment from the sessions. TensorBoard and
TensorFlow are imported when a run is written, never at import.
"""

import glob
import importlib.util
import math
import os

from mtneuron.run import records

HPARAMS = ("model", "architecture", "kind", "init", "batch_size", "learning_rate", "seed", "engine",
           "n_epochs", "n_examples")
METRICS = {"validation_accuracy": "hparams/validation_accuracy", "accuracy": "hparams/test_accuracy",
           "train_accuracy": "hparams/train_accuracy"}


def run_hparams(record):
    """The settings of a run that its spec holds, by ``HPARAMS`` name (batch 1 unless the spec says)."""
    spec = dict({"batch_size": 1}, **record["spec"])
    return {name: spec[name] for name in HPARAMS if name in spec}


def run_metrics(record):
    """The run's final metrics that are finite numbers, by TensorBoard tag."""
    return {tag: float(record[key]) for key, tag in METRICS.items()
            if isinstance(record.get(key), (int, float)) and math.isfinite(record[key])}


def available():
    """Whether TensorBoard is installed (TensorFlow builds may come without it); found, not imported, as
    importing its HParams plugin needs TensorFlow too."""
    try:
        return importlib.util.find_spec("tensorboard") is not None
    except ImportError:  # a finder that refuses it
        return False


def write_run(directory, record):
    """Write a run's HParams session (its start, its final metrics, its end) into ``directory``."""
    from tensorboard.plugins.hparams import api_pb2
    from tensorboard.plugins.hparams import summary as hparams_summary

    from mtneuron.tf1 import tf

    writer = tf.summary.FileWriter(directory, graph=None)
    start = hparams_summary.session_start_pb(run_hparams(record), start_time_secs=record["started_at"])
    writer.add_summary(start.SerializeToString(), 0)
    metrics = tf.Summary(value=[tf.Summary.Value(tag=tag, simple_value=value)
                                for tag, value in run_metrics(record).items()])
    writer.add_summary(metrics, 1)
    end = hparams_summary.session_end_pb(api_pb2.STATUS_SUCCESS, end_time_secs=record["finished_at"])
    writer.add_summary(end.SerializeToString(), 1)
    writer.close()


def run_directory(out_dir, name):
    """Where a sweep into ``out_dir`` writes the TensorBoard events of its run ``name``."""
    return os.path.join(out_dir, "tensorboard", name)


def has_session(directory):
    """Whether an event file in ``directory`` holds an HParams session (newest file first: a sweep writes
    it after the run's scalars)."""
    from tensorboard.plugins.hparams import metadata

    from mtneuron.tf1 import tf

    for path in sorted(glob.glob(os.path.join(directory, "events.out.tfevents.*")), reverse=True):
        for event in tf.train.summary_iterator(path):
            if any(value.metadata.plugin_data.plugin_name == metadata.PLUGIN_NAME
                   for value in event.summary.value):
                return True
    return False


def write_missing(out_dir):
    """Write the HParams session of every complete run in ``out_dir`` whose TensorBoard directory has
    none (runs made before sessions were written); return those directories."""
    written = []
    for directory, record in _runs_with_events(out_dir):
        if not has_session(directory):
            write_run(directory, record)
            written.append(directory)
    return written


def _runs_with_events(out_dir):
    """``(TensorBoard directory, record)`` of every complete run in ``out_dir`` that has such a directory
    (found without TensorFlow)."""
    found = []
    for path in sorted(glob.glob(os.path.join(out_dir, "run_*.json"))):
        record = records.read_json(path)
        directory = run_directory(out_dir, os.path.basename(path)[:-len(".json")])
        if record is not None and records.is_complete(record) and os.path.isdir(directory):
            found.append((directory, record))
    return found
