"""mtneuron.run.records: specs and their file names, JSON records on disk, and the run queries."""

import json
import math
import warnings

import numpy as np
import pytest

from mtneuron import blog_runs
from mtneuron.run import records
from tests.helpers import fake_record


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
        records.write_json(str(directory / records.spec_of(run, blog_runs.RunSpec).filename), run)


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
    assert records.load_records(str(tmp_path)) == runs and capsys.readouterr().err == ""  # warned once


def test_load_records_fails_in_one_line_naming_the_directory(tmp_path):
    with pytest.raises(records.RecordError, match="no results directory .*absent: train into it first"):
        records.load_records(str(tmp_path / "absent"))
    with pytest.raises(records.RecordError, match="no complete run_\\*.json records in ") as error:
        records.load_records(str(tmp_path))
    assert "\n" not in str(error.value)


def test_curves_read_nulls_as_nan_and_bands_span_the_seeds():
    np.testing.assert_array_equal(records.curve([1, None, 2.5]), [1.0, np.nan, 2.5])
    mean, low, high = records.curve_band([[1.0, 2.0, 3.0], [3.0, None], [2.0]])
    assert np.allclose(mean, [2.0, 2.0, 3.0]) and np.allclose(low, [1.0, 2.0, 3.0])
    assert np.allclose(high, [3.0, 2.0, 3.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a point no seed reached is NaN, without a warning
        mean, low, high = records.curve_band([[None, 1.0], [None]])
    np.testing.assert_array_equal(np.array([mean, low, high]), [[np.nan, 1.0]] * 3)
