"""Tests for mtneuron.run.hparams: a run's HParams session, read back from its event files."""

import glob
import os
import sys

from tensorboard.plugins.hparams import api_pb2, metadata, plugin_data_pb2

from mtneuron.run import hparams, records
from mtneuron.tf1 import tf


def read_events(directory):
    """Every summary value written into ``directory``, in order."""
    values = []
    for path in sorted(glob.glob(os.path.join(directory, "events.out.tfevents.*"))):
        for event in tf.train.summary_iterator(path):
            values += list(event.summary.value)
    return values


def plugin_data(values, tag):
    """The HParams plugin's data of the value tagged ``tag``."""
    (value,) = [value for value in values if value.tag == tag]
    assert value.metadata.plugin_data.plugin_name == metadata.PLUGIN_NAME
    return plugin_data_pb2.HParamsPluginData.FromString(value.metadata.plugin_data.content)


def test_a_runs_settings_and_final_metrics_are_written_as_an_hparams_session(tmp_path):
    spec = {"architecture": "mlp", "kind": "multi", "init": "derived", "batch_size": 32,
            "learning_rate": 0.003, "seed": 2, "n_epochs": 10, "n_examples": 55000, "average_every": 1100}
    record = {"spec": spec, "validation_accuracy": 0.95, "accuracy": 0.94, "train_accuracy": float("nan"),
              "started_at": 1.7e9, "finished_at": 1.7e9 + 60}
    hparams.write_run(str(tmp_path), record)
    values = read_events(str(tmp_path))
    start = plugin_data(values, metadata.SESSION_START_INFO_TAG).session_start_info
    assert start.hparams["kind"].string_value == "multi" and start.hparams["init"].string_value == "derived"
    assert start.hparams["seed"].number_value == 2
    assert start.hparams["learning_rate"].number_value == 0.003 and "average_every" not in start.hparams
    scalars = {value.tag: value.simple_value for value in values if value.HasField("simple_value")}
    assert set(scalars) == {"hparams/validation_accuracy", "hparams/test_accuracy"}  # the NaN left out
    assert abs(scalars["hparams/test_accuracy"] - 0.94) < 1e-6
    assert abs(scalars["hparams/validation_accuracy"] - 0.95) < 1e-6
    end = plugin_data(values, metadata.SESSION_END_INFO_TAG).session_end_info
    assert end.status == api_pb2.STATUS_SUCCESS


def test_blog_runs_are_batch_size_one():
    record = {"spec": {"model": "multi", "learning_rate": 0.001, "seed": 21, "engine": "fast"}}
    assert hparams.run_hparams(record) == {"model": "multi", "batch_size": 1, "learning_rate": 0.001,
                                           "seed": 21, "engine": "fast"}


def test_the_tensorboard_command_is_installed_beside_this_interpreter():
    """``pip install -e ".[cpu]"`` (TF 2.x) and ``".[tf1]"`` (TF 1.15) both bring TensorBoard."""
    assert os.path.exists(os.path.join(os.path.dirname(sys.executable), "tensorboard"))


def blog_record(started_at=1.7e9):
    spec = {"model": "multi", "learning_rate": 0.001, "seed": 21, "engine": "fast"}
    return dict(spec, spec=spec, status="complete", n_examples=55000, n_epochs=4, losses=[1.0],
                accuracies=[0.9], accuracy=0.9, started_at=started_at, finished_at=started_at + 60)


def test_runs_made_before_sessions_get_theirs_from_their_records_once(tmp_path):
    out = str(tmp_path)
    for name in ("run_multi_0.001", "run_multi_0.01"):
        records.write_json(os.path.join(out, name + ".json"), blog_record())
    earlier = hparams.run_directory(out, "run_multi_0.001")
    writer = tf.summary.FileWriter(earlier, graph=None)  # an earlier sweep's scalars, no session
    writer.add_summary(tf.Summary(value=[tf.Summary.Value(tag="loss", simple_value=1.0)]), 0)
    writer.close()
    assert not hparams.has_session(earlier)
    assert hparams.write_missing(out) == [earlier]  # the run without TensorBoard events gets none
    assert hparams.has_session(earlier) and not os.path.exists(hparams.run_directory(out, "run_multi_0.01"))
    start = plugin_data(read_events(earlier), metadata.SESSION_START_INFO_TAG).session_start_info
    assert start.hparams["learning_rate"].number_value == 0.001
    assert hparams.write_missing(out) == []
