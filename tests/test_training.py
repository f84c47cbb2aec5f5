"""The faithful loop: records, determinism, divergence, TensorBoard scalars."""

import json
import os

import numpy as np

from mtneuron import records
from mtneuron.records import RunSpec
from mtneuron.tf1 import tf
from mtneuron.training import train
from tests.helpers import synthetic_datasets as datasets

SPEC = RunSpec(model="multi", learning_rate=0.001, n_epochs=2, n_examples=60, average_every=20,
               test_examples=30, hidden_sizes=(12, 6))


def test_record_has_the_blog_keys_and_metadata(tmp_path):
    record = train(SPEC, datasets(), threads=1, progress=False)
    assert [record[key] for key in ("n_examples", "n_epochs", "learning_rate")] == [60, 2, 0.001]
    assert len(record["losses"]) == len(record["accuracies"]) == 6
    assert record["steps"] == 120 and not record["diverged"]
    assert 0.0 <= record["accuracy"] <= 1.0
    assert record["model"] == "multi" and record["seed"] == 21 and record["hidden_sizes"] == [12, 6]
    assert record["tensorflow_version"] == tf.version.VERSION and record["python_version"]
    assert record["wall_time_s"] > 0 and record["examples_per_second"] > 0
    assert records.is_complete(record) and records.spec_of(record) == SPEC
    path = str(tmp_path / "run.json")
    records.write_json(path, record)
    assert records.read_json(path)["losses"] == record["losses"]


def test_same_spec_gives_identical_curves():
    first = train(SPEC, datasets(), threads=1, progress=False)
    second = train(SPEC, datasets(), threads=2, progress=False)
    assert first["losses"] == second["losses"] and first["accuracy"] == second["accuracy"]


def test_central_model_trains_on_the_same_record_layout():
    spec = RunSpec(**dict(SPEC.to_dict(), model="central", hidden_sizes=(12, 6)))
    record = train(spec, datasets(), threads=1, progress=False)
    assert record["model"] == "central" and len(record["losses"]) == 6


def test_non_finite_loss_marks_the_run_diverged_without_crashing(tmp_path):
    record = train(SPEC, datasets(poison=True), threads=1, progress=False)
    assert record["diverged"] and record["steps"] == 1
    assert len(record["losses"]) == 1 and not np.isfinite(record["losses"][0])
    path = str(tmp_path / "run.json")
    records.write_json(path, record)
    with open(path) as stream:
        assert json.load(stream)["losses"] == [None]  # strict JSON: NaN is written as null


def test_tensorboard_scalars_are_written(tmp_path):
    directory = str(tmp_path / "tb")
    record = train(SPEC, datasets(), threads=1, progress=False, tensorboard_dir=directory)
    tags = {}
    for name in os.listdir(directory):
        for event in tf.train.summary_iterator(os.path.join(directory, name)):
            for value in event.summary.value:
                tags.setdefault(value.tag, []).append(value.simple_value)
    assert len(tags["loss"]) == len(tags["accuracy"]) == len(record["losses"])
    np.testing.assert_allclose(tags["loss"], record["losses"], rtol=1e-6)
    np.testing.assert_allclose(tags["test_accuracy"], [record["accuracy"]], rtol=1e-6)
