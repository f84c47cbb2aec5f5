"""Are two training engines statistically indistinguishable? Paired tests on run records.

The records are plain dicts (as loaded from the JSON results) of a "reference" engine and a
"candidate" engine run on the same cells (model, learning rate) and seeds. Runs are paired by
``(model, learning_rate, seed)`` and every comparison is on the paired differences
``candidate - reference``:

- a two-sided paired t-test and a Wilcoxon signed-rank test ask "is there a difference?";
- TOST (two one-sided t-tests) asks "is the difference within +-margin?" (equivalence).

Two engines are called *indistinguishable* on a quantity when the t-test finds no difference
(p >= 0.05) and TOST shows equivalence within the margin (p < 0.05). Nothing here needs
TensorFlow; only numpy and scipy.stats.
"""

import math
import warnings

import numpy as np
from scipy import stats as scipy_stats

ALPHA = 0.05
CURVE_KEYS = ("losses", "accuracies")
MIN_CURVE_PAIRS = 3
INDISTINGUISHABLE = "indistinguishable"
DIFFERENT = "different"
INCONCLUSIVE = "inconclusive"
EQUIVALENT = "equivalent"  # a detectable difference, but within the margin (TOST passes)
PAIRED_TESTS = (
    ("test_accuracy", "test accuracy"),
    ("final_train_accuracy", "final-epoch training accuracy"),
    ("final_train_log10_loss", "final-epoch training log10(loss)"),
)


def _floats(values):
    """``values`` as a float array, with ``None`` (a JSON null) as NaN."""
    return np.array([np.nan if value is None else value for value in values], dtype=float)


def _log10(value):
    """log10 of a positive finite value, else NaN."""
    return math.log10(value) if value is not None and math.isfinite(value) and value > 0 else math.nan


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


def _tost_p(mean, sd, n, margin):
    """TOST p-value for ``-margin < true mean < margin``: the larger of the two one-sided p-values."""
    if sd == 0:
        return 0.0 if abs(mean) < margin else 1.0
    se = sd / math.sqrt(n)
    p_above_lower = scipy_stats.t.sf((mean + margin) / se, n - 1)  # H0: mean <= -margin
    p_below_upper = scipy_stats.t.cdf((mean - margin) / se, n - 1)  # H0: mean >= +margin
    return float(max(p_above_lower, p_below_upper))


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
    reference, candidate = _floats(reference), _floats(candidate)
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
                      t_p=math.nan, wilcoxon_p=math.nan, tost_p=math.nan, verdict=INCONCLUSIVE)
        return result
    mean = float(np.mean(differences))
    sd = float(np.std(differences, ddof=1))
    if not np.any(differences != differences[0]):
        sd = 0.0  # exactly constant differences: avoid a rounding-error sd
    half_width = float(scipy_stats.t.ppf(1 - ALPHA / 2, n - 1) * sd / math.sqrt(n))
    t_p = _t_p(mean, sd, n)
    tost_p = _tost_p(mean, sd, n, margin)
    result.update(mean_difference=mean, sd_difference=sd, ci95=(mean - half_width, mean + half_width),
                  t_p=t_p, wilcoxon_p=_wilcoxon_p(differences), tost_p=tost_p, verdict=verdict(t_p, tost_p))
    return result


def final_epoch_mean(values, n_epochs):
    """Mean of the last epoch's points of a curve (the last ``len(values) // n_epochs``), ignoring NaN/None.

    A curve with fewer points than epochs uses its last point; NaN if there is nothing finite.
    """
    if n_epochs < 1:
        raise ValueError("n_epochs must be >= 1, got %r" % (n_epochs,))
    values = _floats(values)
    last = values[len(values) - max(1, len(values) // n_epochs):]
    last = last[np.isfinite(last)]
    return float(np.mean(last)) if last.size else math.nan


def run_key(record):
    """The pairing key of a run record: ``(model, learning_rate, seed)``."""
    return (str(record["model"]), float(record["learning_rate"]), int(record["seed"]))


def _by_key(runs, label):
    keyed = {}
    for record in runs:
        key = run_key(record)
        if key in keyed:
            raise ValueError("%s runs contain %s twice" % (label, _format_key(key)))
        keyed[key] = record
    return keyed


def _format_key(key):
    return "%s/lr=%g/seed=%d" % key


def _format_keys(keys, limit=10):
    keys = sorted(keys)
    text = ", ".join(_format_key(key) for key in keys[:limit])
    return text + (" and %d more" % (len(keys) - limit) if len(keys) > limit else "")


def pair_records(reference_runs, candidate_runs):
    """Sorted ``(key, reference_record, candidate_record)`` matched on ``(model, learning_rate, seed)``.

    Raises ``ValueError`` (one line, naming the keys) if a key is in one set only or twice in one set.
    """
    reference, candidate = _by_key(reference_runs, "reference"), _by_key(candidate_runs, "candidate")
    only_reference, only_candidate = set(reference) - set(candidate), set(candidate) - set(reference)
    if only_reference or only_candidate:
        problems = []
        if only_reference:
            problems.append("only in reference: %s" % _format_keys(only_reference))
        if only_candidate:
            problems.append("only in candidate: %s" % _format_keys(only_candidate))
        raise ValueError("reference and candidate runs do not cover the same (model, learning_rate, seed): "
                         + "; ".join(problems))
    return [(key, reference[key], candidate[key]) for key in sorted(reference)]


def curve_agreement(pairs, key):
    """Point-by-point paired t-tests of the candidate's curves against the reference's.

    ``key`` is "losses" or "accuracies"; losses are compared as log10(loss) (they are positive and
    span orders of magnitude; non-positive values count as NaN). Pairs whose two curves differ in
    length are left out. Within each cell (model, learning rate; curves of one length) each point
    is tested across the seeds, skipping points where fewer than 3 pairs are finite. Returns
    ``points`` (points tested), ``fraction_p_below_0.05`` (about 0.05 expected if the engines agree),
    ``max_abs_mean_difference`` (largest |mean over seeds of the difference|) and
    ``median_seed_sd`` (median over points and cells of the reference's sd across seeds: the scale
    of seed-to-seed variation the differences compare with).
    """
    if key not in CURVE_KEYS:
        raise ValueError("curve key must be one of %s, got %r" % (", ".join(CURVE_KEYS), key))
    transform = np.vectorize(_log10, otypes=[float]) if key == "losses" else (lambda curve: curve)
    groups = {}
    used = 0
    for (model, learning_rate, _seed), reference, candidate in pairs:
        reference_curve, candidate_curve = _floats(reference[key]), _floats(candidate[key])
        if reference_curve.size != candidate_curve.size or not reference_curve.size:
            continue
        used += 1
        group = groups.setdefault((model, learning_rate, reference_curve.size), ([], []))
        group[0].append(transform(reference_curve))
        group[1].append(transform(candidate_curve))
    p_values, mean_differences, seed_sds = [], [], []
    for group_key in sorted(groups):
        reference_curves, candidate_curves = (np.array(curves) for curves in groups[group_key])
        for point in range(reference_curves.shape[1]):
            reference_point, candidate_point = reference_curves[:, point], candidate_curves[:, point]
            finite = np.isfinite(reference_point) & np.isfinite(candidate_point)
            n = int(finite.sum())
            if n < MIN_CURVE_PAIRS:
                continue
            differences = candidate_point[finite] - reference_point[finite]
            mean = float(np.mean(differences))
            sd = 0.0 if not np.any(differences != differences[0]) else float(np.std(differences, ddof=1))
            p_values.append(_t_p(mean, sd, n))
            mean_differences.append(abs(mean))
            seed_sds.append(float(np.std(reference_point[finite], ddof=1)))
    points = len(p_values)
    return {
        "key": key,
        "scale": "log10" if key == "losses" else "linear",
        "pairs": used,
        "points": points,
        "fraction_p_below_0.05": float(np.mean(np.array(p_values) < ALPHA)) if points else math.nan,
        "max_abs_mean_difference": max(mean_differences) if points else math.nan,
        "median_seed_sd": float(np.median(seed_sds)) if points else math.nan,
    }


def _mean_sd(values):
    values = _floats(values)
    values = values[np.isfinite(values)]
    mean = float(np.mean(values)) if values.size else math.nan
    sd = float(np.std(values, ddof=1)) if values.size > 1 else math.nan
    return mean, sd


def _engines(runs):
    return sorted({str(run["engine"]) for run in runs if run.get("engine") is not None})


def overall_verdict(verdicts):
    """"indistinguishable" if every test says so; "equivalent" if every test shows equivalence within
    its margin; "different" if any test finds a difference it cannot bound; else "inconclusive"."""
    verdicts = list(verdicts)
    if verdicts and all(one == INDISTINGUISHABLE for one in verdicts):
        return INDISTINGUISHABLE
    if verdicts and all(one in (INDISTINGUISHABLE, EQUIVALENT) for one in verdicts):
        return EQUIVALENT
    return DIFFERENT if DIFFERENT in verdicts else INCONCLUSIVE


def engine_equivalence(reference_runs, candidate_runs, accuracy_margin=0.01, log_loss_margin=0.05):
    """Pair the runs and test test accuracy, final training accuracy and log10 loss, and the curves.

    The overall ``verdict`` combines the three paired tests' (see ``overall_verdict``).
    """
    pairs = pair_records(reference_runs, candidate_runs)
    if not pairs:
        raise ValueError("no runs to compare: both sets of records are empty")
    references = [reference for _key, reference, _candidate in pairs]
    candidates = [candidate for _key, _reference, candidate in pairs]

    def final_accuracy(run):
        return final_epoch_mean(run["accuracies"], run["n_epochs"])

    def final_log_loss(run):
        return _log10(final_epoch_mean(run["losses"], run["n_epochs"]))

    result = {
        "pairs": len(pairs),
        "cells": sorted({key[:2] for key, _reference, _candidate in pairs}),
        "seeds": sorted({key[2] for key, _reference, _candidate in pairs}),
        "engines": {"reference": _engines(references), "candidate": _engines(candidates)},
        "margins": {"accuracy": float(accuracy_margin), "log10_loss": float(log_loss_margin)},
        "test_accuracy": paired_test([run["accuracy"] for run in references],
                                     [run["accuracy"] for run in candidates], accuracy_margin),
        "final_train_accuracy": paired_test([final_accuracy(run) for run in references],
                                            [final_accuracy(run) for run in candidates], accuracy_margin),
        "final_train_log10_loss": paired_test([final_log_loss(run) for run in references],
                                              [final_log_loss(run) for run in candidates], log_loss_margin),
        "accuracy_curves": curve_agreement(pairs, "accuracies"),
        "loss_curves": curve_agreement(pairs, "losses"),
    }
    per_cell = []
    for model, learning_rate in result["cells"]:
        cell = [(reference, candidate) for key, reference, candidate in pairs
                if key[:2] == (model, learning_rate)]
        reference_mean, reference_sd = _mean_sd([reference["accuracy"] for reference, _candidate in cell])
        candidate_mean, candidate_sd = _mean_sd([candidate["accuracy"] for _reference, candidate in cell])
        per_cell.append({
            "model": model, "learning_rate": learning_rate, "n": len(cell),
            "reference_mean": reference_mean, "reference_sd": reference_sd,
            "candidate_mean": candidate_mean, "candidate_sd": candidate_sd,
            "reference_diverged": sum(bool(reference.get("diverged")) for reference, _candidate in cell),
            "candidate_diverged": sum(bool(candidate.get("diverged")) for _reference, candidate in cell),
        })
    result["per_cell"] = per_cell
    result["verdict"] = overall_verdict(result[name]["verdict"] for name, _label in PAIRED_TESTS)
    return result


def _number(value, pattern="%.4f"):
    return "n/a" if value is None or not math.isfinite(value) else pattern % value


def _p(value):
    return _number(value, "%.3g")


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def _engine_name(result, role):
    names = result.get("engines", {}).get(role) or []
    return "%s (%s)" % (role, ", ".join("`%s`" % name for name in names)) if names else role


def equivalence_markdown(result):
    """A Markdown section presenting an ``engine_equivalence`` result: tests, cells, curves, verdict."""
    reference, candidate = _engine_name(result, "reference"), _engine_name(result, "candidate")
    margins = result["margins"]
    lines = [
        "## Engine equivalence: %s vs %s" % (candidate, reference), "",
        "%d runs of each engine, paired by model, learning rate and seed (%d cells x seeds %s). Each "
        "quantity is compared on the paired differences candidate - reference with a two-sided paired "
        "t-test and a Wilcoxon signed-rank test (is there a difference?) and with TOST, two one-sided "
        "t-tests for equivalence within ±%g for accuracies and ±%g for log10(loss) (is any difference "
        "that small?). A quantity is *indistinguishable* when the t-test gives p >= %g and TOST p < %g, "
        "*equivalent* when both are below (a difference is detectable but lies within the margin), "
        "*different* when only the t-test is, and *inconclusive* when neither is." % (
            result["pairs"], len(result["cells"]), ", ".join("%d" % seed for seed in result["seeds"]),
            margins["accuracy"], margins["log10_loss"], ALPHA, ALPHA),
        "",
    ]
    rows = []
    for name, label in PAIRED_TESTS:
        test = result[name]
        rows.append([label, "%d" % test["n"] + (" (%d dropped)" % test["dropped"] if test["dropped"] else ""),
                     _number(test["mean_difference"], "%+.3g"),
                     "[%s, %s]" % (_number(test["ci95"][0], "%+.3g"), _number(test["ci95"][1], "%+.3g")),
                     _p(test["t_p"]), _p(test["wilcoxon_p"]),
                     "%s (±%g)" % (_p(test["tost_p"]), test["margin"]),
                     test["verdict"]])
    lines += [_table(["quantity", "n", "mean difference", "95% CI", "t-test p", "Wilcoxon p", "TOST p",
                      "verdict"], rows), ""]
    lines += ["Test accuracy per cell (mean ± sd over seeds):", ""]
    cells = []
    for cell in result["per_cell"]:
        cells.append([cell["model"], "%g" % cell["learning_rate"], "%d" % cell["n"],
                      "%s ± %s" % (_number(cell["reference_mean"]), _number(cell["reference_sd"])),
                      "%s ± %s" % (_number(cell["candidate_mean"]), _number(cell["candidate_sd"])),
                      "%d / %d" % (cell["reference_diverged"], cell["candidate_diverged"])])
    lines += [_table(["model", "learning rate", "seeds", reference, candidate, "diverged (ref / cand)"],
                     cells), ""]
    lines += ["Training curves, point by point: a paired t-test across seeds within each cell at every "
              "point with at least %d finite pairs. If the engines agree, about %g of the points should "
              "have p < %g by chance." % (MIN_CURVE_PAIRS, ALPHA, ALPHA), ""]
    curves = []
    for name, label in (("accuracy_curves", "training accuracy"), ("loss_curves", "training log10(loss)")):
        curve = result[name]
        curves.append([label, "%d" % curve["points"], _number(curve["fraction_p_below_0.05"], "%.3f"),
                       _number(curve["max_abs_mean_difference"], "%.4g"),
                       _number(curve["median_seed_sd"], "%.4g")])
    lines += [_table(["curve", "points tested", "fraction p < 0.05", "max abs mean difference",
                      "median seed-to-seed sd"], curves), ""]
    seed_sd = math.sqrt(2) * float(np.median([cell["reference_sd"] for cell in result["per_cell"]]))
    lines += ["For scale: the paired test-accuracy differences have sd %s; two seeds of the reference "
              "engine differ by about %s (sqrt(2) x the median per-cell sd over seeds). Batch-1 training "
              "from a std-1 initialisation is chaotic, so a seed's two runs drift apart as two seeds do; "
              "a tight equivalence margin then needs many seeds." % (
                  _number(result["test_accuracy"]["sd_difference"], "%.3g"), _number(seed_sd, "%.3g")), ""]
    lines += ["**Overall verdict: %s** (indistinguishable if all three paired tests are; equivalent if "
              "all show equivalence within their margins; different if any finds a difference it cannot "
              "bound; inconclusive otherwise)." % result["verdict"], ""]
    return "\n".join(lines)


def describe(values):
    """Mean, sd, min, max and the 95% t-interval of the mean of ``values`` (NaN/None dropped).

    With one value the sd and interval are NaN; with none, everything is NaN and ``n`` is 0.
    """
    values = _floats(values)
    values = values[np.isfinite(values)]
    n = int(values.size)
    if n == 0:
        return {"n": 0, "mean": math.nan, "sd": math.nan, "min": math.nan, "max": math.nan,
                "ci95": (math.nan, math.nan)}
    mean = float(np.mean(values))
    sd = float(np.std(values, ddof=1)) if n > 1 else math.nan
    half_width = float(scipy_stats.t.ppf(1 - ALPHA / 2, n - 1) * sd / math.sqrt(n)) if n > 1 else math.nan
    return {"n": n, "mean": mean, "sd": sd, "min": float(np.min(values)), "max": float(np.max(values)),
            "ci95": (mean - half_width, mean + half_width)}


def place(value, values):
    """Where ``value`` falls among ``values``: its percentile (ties count half) and a phrase.

    The phrase says whether it is below or above every value, or inside the range, and
    whether it lies inside the 95% interval of the mean.
    """
    finite = _floats(values)
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
