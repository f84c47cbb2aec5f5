"""Training runs: records of every engine, determinism, divergence, the XLA fallback, TensorBoard."""

import json
import os

import numpy as np
import pytest

from mtneuron import blog_runs, measurements, tf1, xla
from mtneuron.blog_runs import RunSpec
from mtneuron.run import records
from mtneuron.run.records import RunContext
from mtneuron.tf1 import tf
from mtneuron.train import engine
from mtneuron.train.training import make_trainer, train
from tests.helpers import synthetic_datasets as datasets

SPEC = RunSpec(model="multi", learning_rate=0.001, n_epochs=2, n_examples=60, average_every=20,
               test_examples=30, hidden_sizes=(12, 6), engine="faithful")
QUIET = RunContext(threads=1, progress=False)
needs_xla = pytest.mark.skipif(not xla.available(tf1.session_config(1)),
                               reason="this TensorFlow build has no XLA")
ENGINES = ["faithful", "exact", pytest.param("fast", marks=needs_xla)]
MEASURES = ["synapses_positive_1", "units_nonzero_1", "units_positive_1", "synapses_positive_2",
            "units_nonzero_2", "units_positive_2", "gradient_nonzero_W_01", "gradient_nonzero_W_12",
            "gradient_nonzero_W_23"]


def with_engine(engine_name, **settings):
    return RunSpec(**dict(SPEC.to_dict(), engine=engine_name, **settings))


def test_record_has_the_blog_keys_and_metadata(tmp_path):
    record = train(SPEC, datasets(), QUIET)
    assert [record[key] for key in ("n_examples", "n_epochs", "learning_rate")] == [60, 2, 0.001]
    assert len(record["losses"]) == len(record["accuracies"]) == 6
    assert record["steps"] == 120 and not record["diverged"] and record["engine"] == "faithful"
    assert record["model"] == "multi" and record["seed"] == 21 and record["hidden_sizes"] == [12, 6]
    assert record["tensorflow_version"] == tf.version.VERSION and record["python_version"]
    assert record["wall_time_s"] > 0 and record["examples_per_second"] > 0 and record["threads"] == 1
    assert records.is_complete(record) and records.spec_of(record, blog_runs.RunSpec) == SPEC
    path = str(tmp_path / "run.json")
    records.write_json(path, record)
    assert records.read_json(path)["losses"] == record["losses"]


def test_same_spec_gives_identical_curves_with_any_threads():
    first = train(SPEC, datasets(), QUIET)
    second = train(SPEC, datasets(), RunContext(threads=2, progress=False))
    assert first["losses"] == second["losses"] and first["accuracy"] == second["accuracy"]


def test_exact_engine_records_the_faithful_curves():
    faithful, exact = (train(with_engine(name), datasets(n=50), QUIET) for name in ("faithful", "exact"))
    assert exact["engine"] == "exact" and len(exact["losses"]) == 6
    for key in ("losses", "accuracies", "steps", "measurements"):
        assert faithful[key] == exact[key]
    for key in ("accuracy", "train_accuracy"):  # the faithful loop sums float32 accuracies
        assert np.float32(faithful[key]) == np.float32(exact[key])


@pytest.mark.parametrize("engine_name", ENGINES)
def test_non_finite_loss_marks_the_run_diverged_without_crashing(engine_name, tmp_path):
    """Infinite pixels (the fast engine refuses them: TF 1.15's XLA dot can hide them), else rate 1e30."""
    poisoned = engine_name != "fast"
    record = train(with_engine(engine_name, learning_rate=0.001 if poisoned else 1e30),
                   datasets(poison=poisoned), QUIET)
    assert record["diverged"] and record["engine"] == engine_name
    assert record["steps"] == (1 if poisoned else 2)
    assert list(record["measurements"]) == MEASURES  # in the order the records keep them
    assert len(record["losses"]) == 1 and not np.isfinite(record["losses"][-1])
    path = str(tmp_path / "run.json")
    records.write_json(path, record)
    with open(path) as stream:
        assert json.load(stream)["losses"] == [None]  # strict JSON: NaN is written as null


def test_make_trainer_gives_each_engine_its_trainer_and_fast_falls_back_without_xla(monkeypatch, capsys):
    for engine_name, expected in (("faithful", engine.FaithfulTrainer), ("exact", engine.ExactTrainer)):
        trainer = make_trainer(with_engine(engine_name), datasets(), threads=1)
        trainer.close()
        assert type(trainer) is expected and trainer.engine == engine_name
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(xla, "available", lambda config=None: False)
    record = train(with_engine("fast"), datasets(), QUIET)
    assert record["engine"] == "exact" and record["spec"]["engine"] == "fast"
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "falls back to exact" in error


def test_tensorboard_scalars_are_written(tmp_path):
    directory = str(tmp_path / "tb")
    record = train(SPEC, datasets(), RunContext(threads=1, progress=False, tensorboard_dir=directory))
    tags = {}
    for name in os.listdir(directory):
        for event in tf.train.summary_iterator(os.path.join(directory, name)):
            for value in event.summary.value:
                tags.setdefault(value.tag, []).append(value.simple_value)
    assert len(tags["loss"]) == len(tags["accuracy"]) == len(record["losses"])
    np.testing.assert_allclose(tags["loss"], record["losses"], rtol=1e-6)
    np.testing.assert_allclose(tags["test_accuracy"], [record["accuracy"]], rtol=1e-6)


@pytest.mark.parametrize("engine_name", ENGINES)
@pytest.mark.parametrize("model", ["multi", "central"])
def test_frozen_weights_never_move_and_the_record_counts_them(engine_name, model):
    """The invariant on a short real run: every weight no step can change is unchanged after training."""
    spec = with_engine(engine_name, model=model)
    data = datasets(n=60)
    data.train.images[:, 300:] = 0  # pixels never lit in training
    trainer = make_trainer(spec, data, 1)
    try:
        initial = trainer.parameters()
        trainer.steps(120)
        final = trainer.parameters()
    finally:
        trainer.close()
    frozen = measurements.frozen_weights(trainer.model.network, initial, data.train.images)
    for before, after, mask in zip(initial[::2], final[::2], frozen):
        np.testing.assert_array_equal(after[mask], before[mask])
    record = train(spec, data, QUIET)
    unchanged, counted = record["weights_unchanged"], record["weights_frozen"]
    assert sorted(unchanged) == sorted(counted) == ["W_01", "W_12", "W_23"]
    assert counted["W_01"] == pytest.approx(np.mean(frozen[0])) and counted["W_12"] == 0.0
    assert unchanged["W_01"] >= counted["W_01"] > 0.6 and unchanged["W_12"] < 1.0


@pytest.mark.parametrize("engine_name", ENGINES)
@pytest.mark.parametrize("model", ["multi", "central"])
def test_measurements_change_no_number_of_a_run(engine_name, model):
    """With and without the per-step measurements: the same losses, accuracies and parameters, bit for
    bit, over 90 steps; only the measured run has measure vectors."""
    outcomes = []
    for measure in (True, False):
        trainer = make_trainer(with_engine(engine_name, model=model, measure=measure), datasets(), 1)
        try:
            losses, accuracies, measures = trainer.steps(90)
            outcomes.append((losses, accuracies, measures, trainer.parameters()))
        finally:
            trainer.close()
    (losses, accuracies, measures, parameters), unmeasured = outcomes
    np.testing.assert_array_equal(losses, unmeasured[0])
    np.testing.assert_array_equal(accuracies, unmeasured[1])
    for before, after in zip(parameters, unmeasured[3]):
        np.testing.assert_array_equal(before, after)
    assert measures.shape[0] == 90 and measures.shape[1] > 0 and unmeasured[2].shape == (90, 0)


def test_a_record_says_whether_it_was_measured():
    measured, unmeasured = (train(with_engine("exact", measure=measure), datasets(), QUIET)
                            for measure in (True, False))
    assert measured["measured"] and sorted(measured["measurements"]) == sorted(MEASURES)
    assert unmeasured["measured"] is False and unmeasured["measurements"] == {}
    assert measured["losses"] == unmeasured["losses"] and measured["accuracy"] == unmeasured["accuracy"]


@pytest.mark.parametrize("engine_name", ENGINES)
@pytest.mark.parametrize("model", ["multi", "central"])
def test_a_kept_network_loads_in_one_call_and_predicts_as_the_run_scored(engine_name, model, tmp_path):
    from mtneuron.models import load_run

    spec, data = with_engine(engine_name, model=model), datasets()
    path = str(tmp_path / spec.filename)
    record = train(spec, data, RunContext(threads=1, progress=False, weights_path=path[:-5] + ".npz"))
    records.write_json(path, record)
    network = load_run(path)
    predicted = network.predict(data.test.images[:spec.test_examples])
    correct = np.mean(predicted == np.argmax(data.test.labels[:spec.test_examples], axis=1))
    assert correct == pytest.approx(record["accuracy"], abs=1e-6)
    with np.load(path[:-5] + ".npz") as arrays:
        assert arrays.files == ["W_01", "b_1", "W_12", "b_2", "W_23", "b_3"]


def test_a_run_without_kept_parameters_says_how_to_get_them(tmp_path):
    from mtneuron.models import load_run

    path = str(tmp_path / SPEC.filename)
    records.write_json(path, train(SPEC, datasets(), QUIET))
    with pytest.raises(records.RecordError, match="no trained parameters beside .*mtneuron reproduce keeps"):
        load_run(path)
