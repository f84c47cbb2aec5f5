"""The claims study: aggregation over seeds, the verdict rules, claims.md and its figures."""

import os

import numpy as np
import pytest
from matplotlib.image import imread

from mtneuron import blog_runs
from mtneuron.run import records
from mtneuron.studies.claims import blog_claims, measurements
from mtneuron.studies.claims import figures as cfig
from mtneuron.studies.claims import report as claims_report
from mtneuron.studies.claims import verdicts as verdicts_
from mtneuron.studies.reproduction import figures as blog_figures
from mtneuron.studies.reproduction import report
from tests.helpers import fake_record

RATES = (0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1)
CENTRAL = {"units_nonzero_1": 0.5, "units_nonzero_2": 0.4, "units_positive_1": 0.5, "units_positive_2": 0.4,
           "gradient_nonzero_W_01": 0.06,
           "gradient_nonzero_W_12": 0.1, "gradient_nonzero_W_23": 0.05}
MULTI = {"synapses_positive_1": 0.09, "synapses_positive_2": 0.48, "units_nonzero_1": 1.0,
         "units_nonzero_2": 1.0, "units_positive_1": 0.9, "units_positive_2": 0.8,
         "gradient_nonzero_W_01": 0.07, "gradient_nonzero_W_12": 0.4,
         "gradient_nonzero_W_23": 0.17}


def blog_like(seeds=range(1, 6), multi_collapse=0.05, multi_low=0.1):
    """Records shaped like the blog's story: central fails from 0.005, multi from ``multi_collapse``."""
    rng = np.random.RandomState(0)
    runs = []
    for seed in seeds:
        for rate in RATES:
            noise = rng.normal(0, 0.005, 2)
            central = (0.9 if rate < 0.005 else 0.1) + noise[0]
            multi = (0.93 if rate < multi_collapse else multi_low) + noise[1]
            runs.append(fake_record("central", rate, seed, central, loss=0.3 + noise[0], gap=0.03,
                                    measures=CENTRAL))
            runs.append(fake_record("multi", rate, seed, multi, loss=30.0 + noise[1],
                                    gap=0.005 + noise[1] / 10, measures=MULTI))
    return runs


def verdicts(runs):
    return {claim_id: test(runs)[0] for claim_id, _, test, _ in blog_claims.CLAIMS}


def test_the_blogs_story_supports_every_claim_and_confirms_the_construction():
    expected = dict.fromkeys(("C1", "C2", "C3", "C5", "C6"), verdicts_.SUPPORTED)
    expected["C4"] = verdicts_.CONFIRMED
    assert verdicts(blog_like()) == expected


def test_a_best_rate_shifted_without_a_wider_basin_is_only_mixed_robustness():
    runs = blog_like(multi_collapse=0.05)
    for run in runs:  # multi: good only from 0.005 on, as central only below it
        if run["model"] == "multi" and run["learning_rate"] < 0.005:
            run["accuracy"] = 0.5
    verdict, _, lines = blog_claims.claim_robust(runs)
    assert verdict == verdicts_.MIXED
    basin = "its basin (rates within 0.02 of the best): 0.0001 to 0.001 (3 rates of the grid, a factor of 10)"
    assert basin in lines[2]
    assert "0.005 to 0.01 (2 rates of the grid, a factor of 2)" in lines[3]


def test_a_small_gap_with_a_lower_training_accuracy_is_underfitting():
    runs = blog_like()
    for run in runs:
        if run["model"] == "multi":
            run["train_accuracy"] = 0.8 + run["seed"] / 1000
    verdict, rule, lines = blog_claims.claim_overfitting(runs)
    assert verdict == verdicts_.MIXED and "*underfits*" in rule
    assert len(lines) == 2 and all(": underfits: gap" in line for line in lines)  # both train below 0.005


def test_shift_question_distinguishes_collapse_degradation_and_robustness():
    assert blog_claims.claim_shift(blog_like(multi_collapse=1.0))[0] == verdicts_.NOT_SUPPORTED
    assert blog_claims.claim_shift(blog_like(multi_low=0.7))[0] == verdicts_.MIXED
    verdict, _, lines = blog_claims.claim_shift(blog_like())
    assert verdict == verdicts_.SUPPORTED and "a shift by a factor of 10" in lines[-1]


def test_claims_that_the_data_contradict_are_not_supported():
    runs = blog_like()
    for run in runs:  # multi no better at high rates, no denser, no more gradients, overfitting
        if run["model"] == "multi":
            run["accuracy"] = run["accuracy"] if run["learning_rate"] < 0.005 else 0.1 + run["seed"] / 1000
            run["measurements"] = {name: [value / 10] * 4 for name, value in MULTI.items()}
            run["train_test_gap"] = 0.1
    result = verdicts(runs)
    assert [result[claim] for claim in ("C1", "C5", "C6")] == [verdicts_.NOT_SUPPORTED] * 3
    assert result["C4"] == verdicts_.CONTRADICTED


def test_write_claims_makes_the_report_and_every_figure(tmp_path):
    out = tmp_path / "claims"
    out.mkdir()
    for run in blog_like(seeds=range(1, 4)):
        records.write_json(str(out / records.spec_of(run, blog_runs.RunSpec).filename), run)
    paths = claims_report.write_claims(str(out), str(tmp_path / "claims.md"))
    figures = {os.path.basename(path): imread(path).shape[:2] for path in paths if path.endswith(".png")}
    expected = {cfig.GRID_FIGURE: (450, 1100), cfig.figure_name("units_nonzero"): (660, 1440),
                cfig.figure_name("gradient_nonzero"): (940, 1440)}  # a row per layer, a column per rate
    for name, size in expected.items():
        assert figures[name] == pytest.approx(size, abs=1)
    assert set(figures) == {cfig.GRID_FIGURE, blog_figures.CURVES_FIGURE, blog_figures.BARS_FIGURE} | {
        cfig.figure_name(family) for family, _ in measurements.FAMILIES}
    assert paths[-1] == str(tmp_path / "claims.md") and report.SUMMARY in map(os.path.basename, paths)
    text = (tmp_path / "claims.md").read_text()
    assert text.count("**Verdict: supported.**") == 5 and "**Verdict: %s.**" % verdicts_.CONFIRMED in text
    assert "`claims/%s`" % cfig.GRID_FIGURE in text
    assert "42 runs" in text and "3 seeds per cell" in text


def test_write_claims_draws_the_frozen_weights_when_records_have_them(tmp_path):
    out = tmp_path / "claims"
    out.mkdir()
    for run in with_frozen_weights(blog_like(seeds=range(1, 3))):
        records.write_json(str(out / records.spec_of(run, blog_runs.RunSpec).filename), run)
    paths = claims_report.write_claims(str(out), str(tmp_path / "claims.md"))
    frozen = [path for path in paths if path.endswith(cfig.FROZEN_FIGURE)]
    assert len(frozen) == 1 and imread(frozen[0]).shape[:2] == pytest.approx((420, 1260), abs=1)
    summary = (out / report.SUMMARY).read_text()  # the blog report covers the blog's four rates only
    assert "| 0.01 | Multi-threshold | 0.7730 |" in summary and "| 0.1 |" not in summary


@pytest.mark.slow
def test_claims_command_runs_the_study_and_writes_the_verdicts(quick_claims):
    out, report_path = quick_claims
    runs = records.load_records(out)
    assert len(runs) == 14  # 2 models x (2 rates x 3 seeds + 0.1 x 1 seed)
    assert {run["seed"] for run in runs if run["learning_rate"] == 0.01} == {1, 2, 3}
    assert all(run["measurements"] and "train_test_gap" in run for run in runs)
    with open(report_path) as stream:
        text = stream.read()
    assert text.count("**Verdict: ") == 6 and "14 runs" in text and "python -m mtneuron claims" in text
    assert imread(os.path.join(out, cfig.GRID_FIGURE)).shape[:2] == pytest.approx((450, 1100), abs=1)


@pytest.mark.slow  # drives the command line
def test_claims_command_fails_in_one_line_on_an_empty_directory(tmp_path, capsys):
    from mtneuron.cli.commands import claims_study

    assert claims_study(["--report-only", "--out", str(tmp_path), "--report", str(tmp_path / "c.md")]) == 2
    error = capsys.readouterr().err
    assert error.startswith("claims.py: error: no complete run_*.json records in %s" % tmp_path)
    assert error.count("\n") == 1 and not (tmp_path / "c.md").exists()


def test_c5_reports_the_weights_that_never_moved_and_could_never_move_where_records_have_them():
    runs = blog_like(seeds=range(1, 4))
    for run in runs:
        if run["model"] == "multi" and run["learning_rate"] == 0.001:
            frozen = 0.5 + run["seed"] / 100
            run["weights_frozen"] = {"W_01": frozen, "W_12": 0.0, "W_23": 0.0}
            run["weights_unchanged"] = {"W_01": frozen + 0.1, "W_12": 0.0, "W_23": 0.0}
    lines = blog_claims.claim_gradients(runs)[2]
    context = [line for line in lines if line.startswith("context")]
    assert context == ["context, learning rate 0.001, Multi-threshold: fraction of each weight matrix still "
                       "at its initial value after training W_01 0.6200 ± 0.0100, W_12 0.0000 ± 0.0000, W_23 "
                       "0.0000 ± 0.0000; that no step could change W_01 0.5200 ± 0.0100, W_12 0.0000 ± "
                       "0.0000, W_23 0.0000 ± 0.0000 (3 seeds)."]


def with_frozen_weights(runs, frozen=0.54):
    """The blog-like runs, the multi-threshold ones with a frozen fraction of W_01."""
    for run in runs:
        if run["model"] == "multi":
            run["weights_frozen"] = {"W_01": frozen, "W_12": 0.0, "W_23": 0.0}
            run["weights_unchanged"] = dict(run["weights_frozen"])
    return runs
