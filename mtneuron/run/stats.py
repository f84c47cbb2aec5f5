"""General statistics of run records: paired tests and their verdicts, summaries of samples.

Paired samples (the same seeds under two conditions) are compared on their differences with a
two-sided paired t-test and a Wilcoxon signed-rank test, which ask "is there a difference?", and
with TOST (two one-sided t-tests), which asks "is the difference within +-margin?". The verdicts
combine the two. Single samples get a summary (``describe``) and a place for one value among them
(``place``). Values may be ``None`` (a JSON null), which counts as NaN. Nothing here needs
TensorFlow; only numpy and scipy.stats.
"""

import math
import warnings

import numpy as np
from scipy import stats as scipy_stats

ALPHA = 0.05
INDISTINGUISHABLE = "indistinguishable"
DIFFERENT = "different"
INCONCLUSIVE = "inconclusive"
EQUIVALENT = "equivalent"  # a detectable difference, but within the margin (TOST passes)


def floats(values):
    """``values`` as a float array, with ``None`` (a JSON null) as NaN."""
    return np.array([np.nan if value is None else value for value in values], dtype=float)


def log10(value):
    """log10 of a positive finite value, else NaN."""
    return math.log10(value) if value is not None and math.isfinite(value) and value > 0 else math.nan


def _mean_and_sd(differences):
    """Mean and sd (ddof 1) of two or more differences; the sd is exactly 0 when they are all equal."""
    mean = float(np.mean(differences))
    if not np.any(differences != differences[0]):
        return mean, 0.0  # exactly constant differences: avoid a rounding-error sd
    return mean, float(np.std(differences, ddof=1))


def _half_width(sd, n):
    """Half the width of the 95% t-interval of a mean of ``n`` values of sd ``sd``."""
    return float(scipy_stats.t.ppf(1 - ALPHA / 2, n - 1) * sd / math.sqrt(n))


def _t_p(mean, sd, n):
    """Two-sided one-sample t-test p-value of mean 0, with the degenerate sd == 0 cases defined."""
    if sd == 0:
        return 1.0 if mean == 0 else 0.0
    t = mean / (sd / math.sqrt(n))
    return float(2 * scipy_stats.t.sf(abs(t), n - 1))


def _wilcoxon_p(differences):
    """Two-sided Wilcoxon signed-rank p-value; 1.0 when it cannot be computed.

    All differences zero gives 1.0. If scipy refuses (older versions raise ``ValueError`` when
    too few differences are nonzero) or returns NaN, the test has no evidence of a difference
    and 1.0 is used as well.
    """
    if not np.any(differences != 0):
        return 1.0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            p = float(scipy_stats.wilcoxon(differences).pvalue)
    except ValueError:
        return 1.0
    return 1.0 if math.isnan(p) else p


def smallest_wilcoxon_p(n):
    """The smallest two-sided p a Wilcoxon signed-rank test of ``n`` differences can give (exact test, all
    of one sign): ``2 / 2^n``, 0.0625 for 5 pairs. Below ``ALPHA`` only from 6 pairs on."""
    return min(1.0, 2.0 / 2 ** n) if n >= 1 else math.nan


def holm(p_values):
    """Holm's step-down adjustment of the p-values of one family of tests (NaN stays NaN, not counted):
    the i-th smallest of m is multiplied by ``m - i + 1``, then made non-decreasing, capped at 1."""
    values = floats(p_values)
    known = np.flatnonzero(np.isfinite(values))
    order = known[np.argsort(values[known], kind="stable")]
    adjusted, running = values.copy(), 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(order) - rank) * values[index]))
        adjusted[index] = running
    return [float(value) for value in adjusted]


def _tost_p(mean, sd, n, margin):
    """TOST p-value for ``-margin < true mean < margin``: the larger of the two one-sided p-values."""
    if sd == 0:
        return 0.0 if abs(mean) < margin else 1.0
    se = sd / math.sqrt(n)
    p_above_lower = scipy_stats.t.sf((mean + margin) / se, n - 1)  # H0: mean <= -margin
    p_below_upper = scipy_stats.t.cdf((mean - margin) / se, n - 1)  # H0: mean >= +margin
    return float(max(p_above_lower, p_below_upper))


def supported_margin(mean, sd, n):
    """The smallest margin within which TOST at ``ALPHA`` shows equivalence for paired differences of this
    ``mean``, ``sd`` and count: the farther end of their 90% t-interval."""
    if n < 2:
        return math.nan
    return float(abs(mean) + scipy_stats.t.ppf(1 - ALPHA, n - 1) * sd / math.sqrt(n))


def pairs_for_margin(sd, margin, power=0.8):
    """Pairs TOST needs to show equivalence within +-``margin`` with ``power`` when the true difference
    is 0: the smallest n with (t(1 - ALPHA) + t(1 - (1 - power) / 2)) sd / sqrt(n) <= margin, both
    quantiles with n - 1 degrees of freedom (searched up from the normal approximation, a lower bound)."""
    if not (sd >= 0 and margin > 0 and 0 < power < 1):
        raise ValueError("pairs_for_margin needs sd >= 0, margin > 0 and 0 < power < 1, got %r, %r, %r"
                         % (sd, margin, power))
    levels = [1 - ALPHA, 1 - (1 - power) / 2]
    n = max(2, int(math.floor((scipy_stats.norm.ppf(levels).sum() * sd / margin) ** 2)))
    while scipy_stats.t.ppf(levels, n - 1).sum() * sd / math.sqrt(n) > margin:
        n += 1
    return n


def verdict(t_p, tost_p):
    """From the t-test and TOST p-values: "indistinguishable" (no difference found, equivalence shown),
    "equivalent" (a difference is detectable but lies within the margin), "different" (a difference
    beyond what TOST can rule out) or "inconclusive" (neither shown)."""
    if tost_p < ALPHA:
        return INDISTINGUISHABLE if t_p >= ALPHA else EQUIVALENT
    return DIFFERENT if t_p < ALPHA else INCONCLUSIVE


def paired_test(reference, candidate, margin):
    """Paired t-test, Wilcoxon signed-rank test and TOST (within +-``margin``) of ``candidate - reference``.

    Pairs where either value is NaN, infinite or None are dropped and counted in ``dropped``.
    With fewer than 2 pairs left the statistics are NaN and the verdict is "inconclusive".
    """
    reference, candidate = floats(reference), floats(candidate)
    if reference.shape != candidate.shape or reference.ndim != 1:
        raise ValueError("paired samples must be two sequences of the same length, got %d and %d values"
                         % (reference.size, candidate.size))
    if not margin >= 0:
        raise ValueError("the equivalence margin must be >= 0, got %r" % (margin,))
    finite = np.isfinite(reference) & np.isfinite(candidate)
    differences = candidate[finite] - reference[finite]
    n = int(differences.size)
    result = {"n": n, "dropped": int(reference.size - n), "margin": float(margin)}
    if n < 2:
        mean = float(differences[0]) if n else math.nan
        result.update(mean_difference=mean, sd_difference=math.nan, ci95=(math.nan, math.nan),
                      t_p=math.nan, wilcoxon_p=math.nan, smallest_wilcoxon_p=smallest_wilcoxon_p(n),
                      tost_p=math.nan, verdict=INCONCLUSIVE)
        return result
    mean, sd = _mean_and_sd(differences)
    half_width = _half_width(sd, n)
    t_p = _t_p(mean, sd, n)
    tost_p = _tost_p(mean, sd, n, margin)
    result.update(mean_difference=mean, sd_difference=sd, ci95=(mean - half_width, mean + half_width),
                  t_p=t_p, wilcoxon_p=_wilcoxon_p(differences), smallest_wilcoxon_p=smallest_wilcoxon_p(n),
                  tost_p=tost_p, verdict=verdict(t_p, tost_p))
    return result


def final_epoch_mean(values, n_epochs):
    """Mean of the last epoch's points of a curve (the last ``len(values) // n_epochs``), ignoring NaN/None.

    A curve with fewer points than epochs uses its last point; NaN if there is nothing finite.
    """
    if n_epochs < 1:
        raise ValueError("n_epochs must be >= 1, got %r" % (n_epochs,))
    values = floats(values)
    last = values[len(values) - max(1, len(values) // n_epochs):]
    last = last[np.isfinite(last)]
    return float(np.mean(last)) if last.size else math.nan


def paired_points(reference, candidate, min_pairs=3):
    """Paired t-tests of ``candidate - reference`` point by point: column by column of two
    ``(samples, points)`` arrays, over the rows where both values are finite.

    Points with fewer than ``min_pairs`` finite pairs are skipped. Returns one
    ``(t_p, mean_difference, reference_sd)`` per point tested.
    """
    tested = []
    for reference_point, candidate_point in zip(np.transpose(reference), np.transpose(candidate)):
        finite = np.isfinite(reference_point) & np.isfinite(candidate_point)
        n = int(finite.sum())
        if n < min_pairs:
            continue
        mean, sd = _mean_and_sd(candidate_point[finite] - reference_point[finite])
        tested.append((_t_p(mean, sd, n), mean, float(np.std(reference_point[finite], ddof=1))))
    return tested


def overall_verdict(verdicts):
    """"indistinguishable" if every test says so; "equivalent" if every test shows equivalence within
    its margin; "different" if any test finds a difference it cannot bound; else "inconclusive"."""
    verdicts = list(verdicts)
    if verdicts and all(one == INDISTINGUISHABLE for one in verdicts):
        return INDISTINGUISHABLE
    if verdicts and all(one in (INDISTINGUISHABLE, EQUIVALENT) for one in verdicts):
        return EQUIVALENT
    return DIFFERENT if DIFFERENT in verdicts else INCONCLUSIVE


def describe(values):
    """Mean, sd, min, max and the 95% t-interval of the mean of ``values`` (NaN/None dropped).

    With one value the sd and interval are NaN; with none, everything is NaN and ``n`` is 0.
    """
    values = floats(values)
    values = values[np.isfinite(values)]
    n = int(values.size)
    if n == 0:
        return {"n": 0, "mean": math.nan, "sd": math.nan, "min": math.nan, "max": math.nan,
                "ci95": (math.nan, math.nan)}
    mean = float(np.mean(values))
    sd = float(np.std(values, ddof=1)) if n > 1 else math.nan
    half_width = _half_width(sd, n) if n > 1 else math.nan
    return {"n": n, "mean": mean, "sd": sd, "min": float(np.min(values)), "max": float(np.max(values)),
            "ci95": (mean - half_width, mean + half_width)}


def place(value, values):
    """Where ``value`` falls among ``values``: its percentile (ties count half) and a phrase.

    The phrase says whether it is below or above every value, or inside the range, and
    whether it lies inside the 95% interval of the mean.
    """
    finite = floats(values)
    finite = finite[np.isfinite(finite)]
    if not finite.size:
        return {"percentile": math.nan, "text": "no finite value to compare with"}
    summary = describe(finite)
    percentile = 100.0 * (np.sum(finite < value) + 0.5 * np.sum(finite == value)) / finite.size
    if value < summary["min"]:
        where = "below all %d" % summary["n"]
    elif value > summary["max"]:
        where = "above all %d" % summary["n"]
    else:
        where = "inside the range, percentile %.0f" % percentile
    low, high = summary["ci95"]
    if summary["n"] > 1:
        where += ("; inside" if low <= value <= high else "; outside") + " the 95% CI of the mean"
    return {"percentile": float(percentile), "text": where}


def compare_models(central, multi):
    """Paired test of ``multi - central`` over seeds (same seed: same data order and initial draws).

    Returns ``paired_test``'s fields plus ``better``: the model whose mean is higher when the
    t-test finds a difference (p < 0.05), else None.
    """
    result = paired_test(central, multi, margin=0.0)
    better = None
    if result["t_p"] < ALPHA:
        better = "multi" if result["mean_difference"] > 0 else "central"
    result["better"] = better
    return result
