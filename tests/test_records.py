"""mtneuron.run.records: specs and their file names, JSON records on disk, and the run queries."""

import json
import math
import warnings

import numpy as np
import pytest

from mtneuron import blog
from mtneuron.run import records
from mtneuron.run.records import RunSpec
from tests.helpers import fake_record


def test_a_spec_survives_its_json_round_trip_and_ignores_unknown_keys():
    spec = RunSpec(model="multi", learning_rate=0.005, seed=3, hidden_sizes=(12, 6), engine="exact")
    fields = json.loads(json.dumps(spec.to_dict()))
    assert fields["hidden_sizes"] == [12, 6]
    assert RunSpec.from_dict(dict(fields, trainer="gone")) == spec


def test_a_spec_defaults_to_the_blogs_run():
    spec = RunSpec(model="central")
    assert (spec.learning_rate, spec.seed, spec.n_epochs, spec.n_examples, spec.hidden_sizes,
            spec.average_every, spec.test_examples) == (
        blog.LEARNING_RATE, blog.SEED, blog.EPOCHS, blog.TRAIN_EXAMPLES, blog.HIDDEN_SIZES,
        blog.AVERAGE_EVERY, blog.TEST_EXAMPLES)


def test_file_names_carry_model_rate_and_a_seed_other_than_the_blogs():
    assert RunSpec(model="central", learning_rate=0.0005).filename == "run_central_0.0005.json"
    spec = RunSpec(model="multi", learning_rate=0.01, seed=7)
    assert spec.filename == "run_multi_0.01_seed7.json" and spec.name == "run_multi_0.01_seed7"
    assert records.seed_suffix(blog.SEED) == "" and records.seed_suffix(0) == "_seed0"
    assert records.format_rate(1e-4) == "0.0001" and records.format_rate(0.1) == "0.1"


def test_write_json_turns_non_finite_numbers_into_null(tmp_path):
    path = str(tmp_path / "run.json")
    records.write_json(path, {"losses": [1.0, math.nan, math.inf], "nested": {"x": (-math.inf,)}, "n": 3})
    with open(path) as stream:
        assert json.load(stream) == {"losses": [1.0, None, None], "nested": {"x": [None]}, "n": 3}


def test_read_json_is_none_for_absent_broken_and_non_object_files(tmp_path):
    (tmp_path / "broken.json").write_text('{"losses": [')
    (tmp_path / "list.json").write_text("[1, 2]")
    assert [records.read_json(str(tmp_path / name)) for name in ("absent.json", "broken.json", "list.json")] \
        == [None, None, None]


def write_runs(directory, runs):
    for run in runs:
        records.write_json(str(directory / records.spec_of(run).filename), run)


def test_load_records_keeps_complete_runs_sorted_and_skips_the_rest_with_a_line_each(tmp_path, capsys):
    write_runs(tmp_path, [fake_record("multi", 0.01, 2, 0.8), fake_record("central", 0.001, 1, 0.9),
                          fake_record("central", 0.001, 21, 0.9)])
    running = dict(fake_record("multi", 0.001, 1, 0.5), status="running")
    records.write_json(str(tmp_path / "run_multi_0.001_seed1.json"), running)
    (tmp_path / "run_broken.json").write_text("{")
    (tmp_path / "notes.json").write_text("{}")
    runs = records.load_records(str(tmp_path))
    assert [(run["model"], run["learning_rate"], run["seed"]) for run in runs] == [
        ("central", 0.001, 1), ("central", 0.001, 21), ("multi", 0.01, 2)]
    assert all(records.is_complete(run) for run in runs) and not records.is_complete(running)
    warnings = capsys.readouterr().err.splitlines()
    assert warnings == [
        "warning: skipped %s: not a readable JSON record (truncated or damaged); delete it and re-run the "
        "study's command to train that run again" % (tmp_path / "run_broken.json"),
        "warning: skipped %s: an incomplete record; delete it and re-run the study's command to train that "
        "run again" % (tmp_path / "run_multi_0.001_seed1.json")]


def test_load_records_fails_in_one_line_naming_the_directory(tmp_path):
    with pytest.raises(records.RecordError, match="no results directory .*absent: train into it first"):
        records.load_records(str(tmp_path / "absent"))
    with pytest.raises(records.RecordError, match="no complete run_\\*.json records in ") as error:
        records.load_records(str(tmp_path))
    assert "\n" not in str(error.value)


SWEEP = [fake_record(model, rate, seed, 0.9) for model in ("multi", "central") for rate in (0.01, 0.001)
         for seed in (3, 1, 2)][:-1]  # central at 0.001 has two seeds


def test_run_queries_group_runs_by_model_rate_and_seed():
    assert records.learning_rates(SWEEP) == [0.001, 0.01]
    assert records.models(SWEEP) == ["central", "multi"] and records.models(SWEEP[:3]) == ["multi"]
    assert [run["seed"] for run in records.cell(SWEEP, "multi", 0.01)] == [1, 2, 3]
    assert records.cell(SWEEP, "multi", 0.5) == []
    assert records.seed_counts(SWEEP) == "2-3" and records.seed_counts(SWEEP[:6]) == "3"
    other = fake_record("central", 0.01, 2, 0.5)
    assert records.same_run(SWEEP, other)["accuracy"] == 0.9 and records.same_run(SWEEP[:6], other) is None


def test_curves_read_nulls_as_nan_and_bands_span_the_seeds():
    np.testing.assert_array_equal(records.curve([1, None, 2.5]), [1.0, np.nan, 2.5])
    mean, low, high = records.curve_band([[1.0, 2.0, 3.0], [3.0, None], [2.0]])
    assert np.allclose(mean, [2.0, 2.0, 3.0]) and np.allclose(low, [1.0, 2.0, 3.0])
    assert np.allclose(high, [3.0, 2.0, 3.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a point no seed reached is NaN, without a warning
        mean, low, high = records.curve_band([[None, 1.0], [None]])
    np.testing.assert_array_equal(np.array([mean, low, high]), [[np.nan, 1.0]] * 3)
