"""Tests for mtneuron.run.stats: paired tests, TOST, verdicts, final-epoch means, point-by-point tests."""

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from mtneuron.run import stats


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


def test_a_tiny_detectable_difference_inside_the_margin_is_equivalent():
    reference = np.random.RandomState(3).rand(20)
    candidate = reference + 1e-3 + np.random.RandomState(4).rand(20) * 1e-4
    result = stats.paired_test(reference, candidate, margin=0.01)
    assert result["t_p"] < 0.05 and result["tost_p"] < 0.05 and result["verdict"] == "equivalent"
    assert stats.overall_verdict(["indistinguishable", "equivalent"]) == "equivalent"
    assert stats.overall_verdict(["equivalent", "inconclusive"]) == "inconclusive"


def test_floats_and_log10_turn_nulls_and_non_positive_values_into_nan():
    assert np.isnan(stats.floats([1.0, None])[1]) and stats.floats([2]).dtype == float
    assert stats.log10(100.0) == 2.0
    assert all(math.isnan(stats.log10(value)) for value in (0.0, -1.0, None, math.inf, math.nan))


def test_paired_points_tests_each_column_over_its_finite_rows():
    rng = np.random.RandomState(0)
    reference = rng.randn(6, 4)
    candidate = reference + np.array([0.0, 5.0, 0.0, 0.0]) + 0.01 * rng.randn(6, 4)
    candidate[:4, 2] = np.nan  # only 2 finite pairs left: skipped
    tested = stats.paired_points(reference, candidate, min_pairs=3)
    assert len(tested) == 3
    (p_same, mean_same, sd_same), (p_shift, mean_shift, _), _ = tested
    expected = scipy_stats.ttest_rel(candidate[:, 0], reference[:, 0]).pvalue
    assert p_same == pytest.approx(float(expected), rel=1e-10) and p_shift < 1e-10
    assert mean_shift == pytest.approx(5.0, abs=0.02) and abs(mean_same) < 0.02
    assert sd_same == pytest.approx(reference[:, 0].std(ddof=1))


def test_paired_points_of_equal_columns_have_p_one():
    curves = np.arange(12.0).reshape(3, 4)
    assert [p for p, _mean, _sd in stats.paired_points(curves, curves.copy())] == [1.0] * 4


def test_describe_and_place():
    summary = stats.describe([1.0, 2.0, 3.0, None])
    assert [summary[key] for key in ("n", "mean", "sd", "min", "max")] == [3, 2.0, 1.0, 1.0, 3.0]
    assert summary["ci95"] == pytest.approx((2 - 4.302653 / math.sqrt(3), 2 + 4.302653 / math.sqrt(3)))
    single = stats.describe([0.5])
    assert single["n"] == 1 and math.isnan(single["sd"]) and math.isnan(single["ci95"][0])
    assert stats.place(0.0, [1, 2, 3])["text"].startswith("below all 3")
    assert stats.place(9.0, [1, 2, 3])["text"].startswith("above all 3")
    inside = stats.place(2.0, [1, 2, 3])
    assert inside["percentile"] == 50.0 and "inside the 95% CI" in inside["text"]


def test_compare_models_names_the_better_model_only_when_the_test_says_so():
    assert stats.compare_models([0.1, 0.2, 0.15, 0.12], [0.9, 0.91, 0.88, 0.9])["better"] == "multi"
    assert stats.compare_models([0.5, 0.6, 0.4, 0.55], [0.52, 0.58, 0.41, 0.56])["better"] is None


@pytest.mark.parametrize("n", [1, 2, 5, 6, 8])
def test_the_smallest_wilcoxon_p_is_that_of_n_differences_of_one_sign(n):
    differences = np.arange(1.0, n + 1)
    assert stats.smallest_wilcoxon_p(n) == pytest.approx(scipy_stats.wilcoxon(differences).pvalue)
    result = stats.paired_test(np.zeros(n), differences, 0.1)
    assert result["smallest_wilcoxon_p"] == stats.smallest_wilcoxon_p(n)


def test_holm_adjusts_a_family_step_down_and_keeps_nan_out_of_it():
    # m = 4 known: sorted 0.01, 0.02, 0.03, 0.04 -> 0.04, 0.06, 0.06 (made monotone), 0.04 -> 0.06
    got = stats.holm([0.03, 0.01, None, 0.04, 0.02])
    np.testing.assert_allclose(got[:2] + got[3:], [0.06, 0.04, 0.06, 0.06])
    assert np.isnan(got[2])
    assert stats.holm([0.5, 0.6]) == [1.0, 1.0] and stats.holm([]) == []


def test_the_supported_margin_is_the_far_end_of_the_90_percent_interval_and_tost_agrees_there():
    mean, sd, n = 0.002, 0.04, 40
    margin = stats.supported_margin(mean, sd, n)
    differences = mean + sd * np.array([1, -1] * 20) * np.sqrt(39 / 40)  # exactly this mean and sd
    assert stats.paired_test(np.zeros(n), differences, margin * 1.001)["tost_p"] < stats.ALPHA
    assert stats.paired_test(np.zeros(n), differences, margin * 0.999)["tost_p"] > stats.ALPHA
    assert math.isnan(stats.supported_margin(0.0, 0.0, 1))


def test_pairs_for_a_margin_follow_the_t_quantiles():
    n = stats.pairs_for_margin(0.042, 0.01)
    assert 150 <= n <= 160  # (1.645 + 1.282)^2 x 4.2^2 = 151 by the normal approximation; t adds a few
    for size, fits in ((n, True), (n - 1, False)):
        quantiles = scipy_stats.t.ppf([0.95, 0.9], size - 1)
        assert (quantiles.sum() * 0.042 / math.sqrt(size) <= 0.01) == fits
    assert stats.pairs_for_margin(0.0, 0.01) == 2
    with pytest.raises(ValueError, match="margin > 0"):
        stats.pairs_for_margin(0.04, 0.0)
