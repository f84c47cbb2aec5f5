"""Tests for mtneuron.stats: paired tests, TOST, pairing of records, curve agreement, the report."""

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from mtneuron import stats

SEEDS = (1, 2, 3, 4, 5)
MODELS = ("multi", "central")


def make_run(model, seed, engine, shift=0.0, noise=0.0, learning_rate=0.001, n_points=10, n_epochs=2):
    """A synthetic record: curves set by model and seed, plus ``shift`` and ``noise`` seeded by ``engine``."""
    base = np.random.RandomState(seed * 7 + len(model))
    rng = np.random.RandomState(seed * 1000 + len(engine) * 10 + len(model))
    steps = np.arange(1, n_points + 1)
    accuracies = 1 - 0.5 / steps + 0.01 * base.randn(n_points) + shift + noise * rng.randn(n_points)
    losses = 2.0 / steps ** 2 * np.exp(0.05 * base.randn(n_points))
    losses = losses * 10 ** (shift + noise * rng.randn(n_points))
    return {
        "model": model, "learning_rate": learning_rate, "seed": seed, "engine": engine,
        "accuracy": float(0.97 + 0.003 * base.randn() + shift + noise * rng.randn()),
        "losses": [float(value) for value in losses], "accuracies": [float(value) for value in accuracies],
        "n_epochs": n_epochs, "diverged": False,
    }


def make_runs(engine, **kwargs):
    return [make_run(model, seed, engine, **kwargs) for model in MODELS for seed in SEEDS]


def pairs_of(reference_runs, candidate_runs):
    return stats.pair_records(reference_runs, candidate_runs)


def test_identical_samples_are_indistinguishable():
    sample = [0.97, 0.971, 0.969, 0.972, 0.968]
    result = stats.paired_test(sample, list(sample), margin=0.01)
    assert result["n"] == 5 and result["dropped"] == 0
    assert result["t_p"] == 1.0 and result["wilcoxon_p"] == 1.0 and result["tost_p"] == 0.0
    assert result["mean_difference"] == 0.0 and result["ci95"] == (0.0, 0.0)
    assert result["verdict"] == "indistinguishable"


def test_identical_samples_with_zero_margin_are_inconclusive():
    sample = [1.0, 2.0, 3.0]
    assert stats.paired_test(sample, sample, margin=0.0)["verdict"] == "inconclusive"


def test_constant_shift_with_noise_is_different():
    rng = np.random.RandomState(0)
    reference = 0.97 + 0.003 * rng.randn(10)
    candidate = reference + 0.05 + 0.002 * rng.randn(10)
    result = stats.paired_test(reference, candidate, margin=0.01)
    assert result["t_p"] < 1e-6 and result["tost_p"] > 0.5 and result["wilcoxon_p"] < 0.05
    assert result["ci95"][0] > 0.04 and result["ci95"][1] < 0.06
    assert result["verdict"] == "different"


def test_exact_constant_shift_has_p_zero():
    result = stats.paired_test([1.0, 2.0, 3.0], [1.5, 2.5, 3.5], margin=0.1)
    assert result["t_p"] == 0.0 and result["tost_p"] == 1.0 and result["sd_difference"] == 0.0
    assert result["verdict"] == "different"
    # Differences of exactly 0.0625 (representable in binary, so the sd is exactly 0) within the margin.
    assert stats.paired_test([1.0, 2.0, 3.0], [1.0625, 2.0625, 3.0625], margin=0.1)["tost_p"] == 0.0


def test_tiny_noise_within_margin_is_indistinguishable():
    rng = np.random.RandomState(1)
    reference = 0.97 + 0.003 * rng.randn(20)
    candidate = reference + 0.0005 * rng.randn(20)
    result = stats.paired_test(reference, candidate, margin=0.01)
    assert result["n"] == 20
    assert result["t_p"] >= 0.05 and result["tost_p"] < 1e-10
    assert result["verdict"] == "indistinguishable"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_t_p_matches_scipy_ttest_rel(seed):
    rng = np.random.RandomState(seed)
    reference = rng.randn(12)
    candidate = reference + 0.3 + rng.randn(12)
    result = stats.paired_test(reference, candidate, margin=0.5)
    expected = scipy_stats.ttest_rel(candidate, reference)
    assert result["t_p"] == pytest.approx(float(expected.pvalue), rel=1e-10)
    assert result["wilcoxon_p"] == pytest.approx(float(scipy_stats.wilcoxon(candidate - reference).pvalue))
    differences = candidate - reference
    assert result["mean_difference"] == pytest.approx(differences.mean())
    assert result["sd_difference"] == pytest.approx(differences.std(ddof=1))
    low, high = scipy_stats.t.interval(0.95, 11, loc=differences.mean(), scale=scipy_stats.sem(differences))
    assert result["ci95"] == pytest.approx((low, high))


def test_tost_p_by_hand():
    differences = np.array([0.01, -0.02, 0.015, 0.03, 0.0, 0.005])
    margin = 0.04
    reference = np.zeros(6)
    result = stats.paired_test(reference, differences, margin)
    n, mean, sd = 6, differences.mean(), differences.std(ddof=1)
    se = sd / math.sqrt(n)
    # H0 mean <= -margin: t = (mean + margin) / se, upper tail; H0 mean >= margin: lower tail.
    p_lower = 1 - scipy_stats.t.cdf((mean + margin) / se, n - 1)
    p_upper = scipy_stats.t.cdf((mean - margin) / se, n - 1)
    assert result["tost_p"] == pytest.approx(max(p_lower, p_upper), rel=1e-9)
    assert p_upper > p_lower  # the mean is positive, so the upper bound is the binding one
    # Equivalence at 5% by TOST is the same as the 90% CI lying inside (-margin, margin).
    ci90 = scipy_stats.t.interval(0.90, n - 1, loc=mean, scale=se)
    assert (result["tost_p"] < 0.05) == (-margin < ci90[0] and ci90[1] < margin)


def test_nan_pairs_are_dropped_and_counted():
    reference = [1.0, float("nan"), 3.0, 4.0, None, 6.0]
    candidate = [1.1, 2.0, float("nan"), 4.1, 5.0, 6.3]
    result = stats.paired_test(reference, candidate, margin=1.0)
    assert result["n"] == 3 and result["dropped"] == 3
    assert result["mean_difference"] == pytest.approx((0.1 + 0.1 + 0.3) / 3)
    assert math.isfinite(result["t_p"]) and math.isfinite(result["tost_p"])


def test_too_few_pairs_is_inconclusive():
    result = stats.paired_test([1.0, float("nan")], [1.0, 2.0], margin=1.0)
    assert result["n"] == 1 and result["dropped"] == 1 and result["verdict"] == "inconclusive"


def test_paired_test_rejects_unequal_lengths():
    with pytest.raises(ValueError, match="same length"):
        stats.paired_test([1.0, 2.0], [1.0], margin=0.1)


def test_final_epoch_mean():
    values = [9.0, 9.0, 9.0, 1.0, 2.0, 3.0]
    assert stats.final_epoch_mean(values, 2) == pytest.approx(2.0)
    assert stats.final_epoch_mean(values, 3) == pytest.approx(2.5)
    assert stats.final_epoch_mean([9.0, float("nan"), 9.0, 1.0, None, 3.0], 2) == pytest.approx(2.0)
    assert math.isnan(stats.final_epoch_mean([1.0, None], 2))
    assert stats.final_epoch_mean([5.0], 4) == 5.0


def test_pair_records_sorts_and_matches():
    reference = [make_run(m, s, "exact") for m, s in [("multi", 2), ("central", 1), ("multi", 1)]]
    candidate = [make_run(m, s, "fast") for m, s in [("multi", 1), ("multi", 2), ("central", 1)]]
    pairs = stats.pair_records(reference, candidate)
    keys = [key for key, _ref, _cand in pairs]
    assert keys == [("central", 0.001, 1), ("multi", 0.001, 1), ("multi", 0.001, 2)]
    for key, ref, cand in pairs:
        assert (ref["engine"], cand["engine"]) == ("exact", "fast")
        assert stats.run_key(ref) == stats.run_key(cand) == key


def test_pair_records_mismatch_raises_one_line():
    reference = [make_run("multi", 1, "exact"), make_run("multi", 2, "exact")]
    candidate = [make_run("multi", 1, "fast"), make_run("central", 3, "fast")]
    with pytest.raises(ValueError) as error:
        stats.pair_records(reference, candidate)
    message = str(error.value)
    assert "\n" not in message
    assert "multi/lr=0.001/seed=2" in message and "central/lr=0.001/seed=3" in message
    assert "multi/lr=0.001/seed=1" not in message


def test_pair_records_duplicate_raises():
    with pytest.raises(ValueError, match="twice"):
        stats.pair_records([make_run("multi", 1, "exact")] * 2, [make_run("multi", 1, "fast")])


@pytest.mark.parametrize("key", ["accuracies", "losses"])
def test_curve_agreement_identical_curves(key):
    pairs = pairs_of(make_runs("exact"), make_runs("exact"))
    result = stats.curve_agreement(pairs, key)
    assert result["points"] == 2 * 10 and result["pairs"] == 10
    assert result["fraction_p_below_0.05"] == 0.0
    assert result["max_abs_mean_difference"] == 0.0
    assert result["median_seed_sd"] > 0


def test_curve_agreement_large_shift():
    pairs = pairs_of(make_runs("exact"), make_runs("fast", shift=0.5, noise=0.01))
    accuracies = stats.curve_agreement(pairs, "accuracies")
    losses = stats.curve_agreement(pairs, "losses")
    for result in (accuracies, losses):
        assert result["points"] == 20
        assert result["fraction_p_below_0.05"] >= 0.9
        assert result["max_abs_mean_difference"] == pytest.approx(0.5, abs=0.05)
    assert losses["scale"] == "log10"


def test_curve_agreement_skips_points_with_few_finite_pairs():
    reference, candidate = make_runs("exact"), make_runs("fast")
    for run in reference[:3]:  # three of the five "multi" seeds lose their first point
        run["losses"][0] = None
    candidate[0]["losses"][1] = float("inf")  # not finite in log10 either
    result = stats.curve_agreement(pairs_of(reference, candidate), "losses")
    assert result["points"] == 20 - 1
    with pytest.raises(ValueError):
        stats.curve_agreement(pairs_of(reference, candidate), "accuracy")


def test_engine_equivalence_and_markdown_indistinguishable():
    result = stats.engine_equivalence(make_runs("exact"), make_runs("fast", noise=0.0005))
    assert result["pairs"] == 10
    assert result["cells"] == [("central", 0.001), ("multi", 0.001)]
    assert result["seeds"] == list(SEEDS)
    assert result["engines"] == {"reference": ["exact"], "candidate": ["fast"]}
    for name in ("test_accuracy", "final_train_accuracy", "final_train_log10_loss"):
        assert result[name]["n"] == 10 and result[name]["verdict"] == "indistinguishable", name
    assert result["test_accuracy"]["margin"] == 0.01 and result["final_train_log10_loss"]["margin"] == 0.05
    assert result["accuracy_curves"]["points"] == 20 and result["loss_curves"]["points"] == 20
    assert len(result["per_cell"]) == 2 and result["per_cell"][0]["model"] == "central"
    assert result["per_cell"][0]["reference_mean"] == pytest.approx(
        np.mean([run["accuracy"] for run in make_runs("exact") if run["model"] == "central"]))
    assert result["verdict"] == "indistinguishable"
    text = stats.equivalence_markdown(result)
    assert "| quantity | n | mean difference | 95% CI | t-test p | Wilcoxon p | TOST p | verdict |" in text
    assert "| model | learning rate |" in text
    assert "**Overall verdict: indistinguishable**" in text
    assert "`exact`" in text and "`fast`" in text
    assert "Wilcoxon signed-rank" in text and "TOST" in text and "±0.01" in text and "±0.05" in text
    tables = [block.splitlines() for block in text.split("\n\n") if block.startswith("|")]
    assert [len(table) for table in tables] == [2 + 3, 2 + 2, 2 + 2]
    for table in tables:  # well-formed: every row has the header's number of cells (no stray "|")
        assert len({line.count("|") for line in table}) == 1, table


def test_engine_equivalence_different_engine():
    result = stats.engine_equivalence(make_runs("exact"), make_runs("fast", shift=0.05, noise=0.001))
    assert result["test_accuracy"]["verdict"] == "different"
    assert result["verdict"] == "different"
    text = stats.equivalence_markdown(result)
    assert "**Overall verdict: different**" in text


def test_stats_does_not_import_tensorflow():
    import subprocess
    import sys
    code = "import sys, mtneuron.stats; print('tensorflow' in sys.modules)"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "False"


def test_a_tiny_detectable_difference_inside_the_margin_is_equivalent():
    reference = np.random.RandomState(3).rand(20)
    candidate = reference + 1e-3 + np.random.RandomState(4).rand(20) * 1e-4
    result = stats.paired_test(reference, candidate, margin=0.01)
    assert result["t_p"] < 0.05 and result["tost_p"] < 0.05 and result["verdict"] == "equivalent"
    assert stats.overall_verdict(["indistinguishable", "equivalent"]) == "equivalent"
    assert stats.overall_verdict(["equivalent", "inconclusive"]) == "inconclusive"
