"""The engine-equivalence study: are two training engines statistically indistinguishable?

A "reference" engine and a "candidate" engine train the same cells (model, learning rate) over
the same seeds. Their run records are paired by ``(model, learning_rate, seed)``. Test accuracy,
final-epoch training accuracy and final-epoch training log10(loss) are compared with
``stats.paired_test`` on the paired differences ``candidate - reference``, and the training
curves point by point. Nothing here needs TensorFlow.
"""

import dataclasses
import math

import numpy as np

from mtneuron.run import files, markdown, stats
from mtneuron.run.stats import ALPHA
from mtneuron.studies.reproduction.report import FAILED

MIN_CURVE_PAIRS = 3
CURVE_SCALES = {"accuracies": "linear", "losses": "log10"}  # losses span orders of magnitude
PAIRED_TESTS = (
    ("test_accuracy", "test accuracy"),
    ("final_train_accuracy", "final-epoch training accuracy"),
    ("final_train_log10_loss", "final-epoch training log10(loss)"),
)


@dataclasses.dataclass(frozen=True)
class Settings:
    """The study's design; the defaults are the committed study. ``engines``: the reference, then the
    candidate; the margins are TOST's; cells where both engines' mean test accuracy is below
    ``collapsed_below`` are left out (both fail there)."""

    rates: tuple = (0.001, 0.005)
    seeds: tuple = tuple(range(1, 6))
    engines: tuple = ("exact", "fast")
    accuracy_margin: float = 0.01
    log_loss_margin: float = 0.05  # of log10 of the final training loss
    collapsed_below: float = FAILED


def write_report(reference_runs, candidate_runs, path, settings=Settings()):
    """Compare the runs (``engine_equivalence``) and write the whole report to ``path``. Returns the
    result."""
    result = engine_equivalence(reference_runs, candidate_runs, settings)
    engines = settings.engines
    lines = ["# Engine equivalence: %s against %s" % (engines[1], engines[0]), "",
             equivalence_markdown(result), "", "## Provenance", ""]
    lines += markdown.bullets(markdown.provenance(list(reference_runs) + list(candidate_runs))) + [""]
    files.write_text(path, "\n".join(lines))
    return result


# ---- pairing the runs


def run_key(record):
    """The pairing key of a run record: ``(model, learning_rate, seed)``."""
    return (str(record["model"]), float(record["learning_rate"]), int(record["seed"]))


def pair_records(reference_runs, candidate_runs):
    """Sorted ``(key, reference_record, candidate_record)`` matched on ``(model, learning_rate, seed)``.

    Raises a one-line ``ValueError`` that names the keys if a key is in one set only, or twice in one set.
    """
    reference, candidate = _by_key(reference_runs, "reference"), _by_key(candidate_runs, "candidate")
    only_reference, only_candidate = set(reference) - set(candidate), set(candidate) - set(reference)
    if only_reference or only_candidate:
        problems = ["only in %s: %s" % (role, _format_keys(keys))
                    for role, keys in (("reference", only_reference), ("candidate", only_candidate)) if keys]
        raise ValueError("reference and candidate runs do not cover the same (model, learning_rate, seed): "
                         + "; ".join(problems))
    return [(key, reference[key], candidate[key]) for key in sorted(reference)]


def _by_key(runs, role):
    keyed = {}
    for record in runs:
        key = run_key(record)
        if key in keyed:
            raise ValueError("%s runs contain %s twice" % (role, _format_key(key)))
        keyed[key] = record
    return keyed


def _format_key(key):
    return "%s/lr=%g/seed=%d" % key


def _format_keys(keys, limit=10):
    keys = sorted(keys)
    text = ", ".join(_format_key(key) for key in keys[:limit])
    return text + (" and %d more" % (len(keys) - limit) if len(keys) > limit else "")


# ---- the comparison


def engine_equivalence(reference_runs, candidate_runs, settings=Settings()):
    """Pair the runs, then test test accuracy, final training accuracy and log10 loss, and the curves.

    The overall ``verdict`` combines the verdicts of the three paired tests (see ``stats.overall_verdict``).
    """
    every_pair = pair_records(reference_runs, candidate_runs)
    if not every_pair:
        raise ValueError("no runs to compare: both sets of records are empty")
    accuracy_margin, collapsed_below = settings.accuracy_margin, settings.collapsed_below
    collapsed = _collapsed_cells(every_pair, collapsed_below)
    pairs = [pair for pair in every_pair if pair[0][:2] not in collapsed]
    if not pairs:
        raise ValueError("no runs to compare: both engines' mean test accuracy is below %g in every cell "
                         "(lower --collapsed-below to keep them)" % collapsed_below)
    references = [reference for _key, reference, _candidate in pairs]
    candidates = [candidate for _key, _reference, candidate in pairs]
    result = {
        "pairs": len(pairs),
        "cells": sorted({key[:2] for key, _reference, _candidate in pairs}),
        "seeds": sorted({key[2] for key, _reference, _candidate in pairs}),
        "engines": {"reference": _engines(references), "candidate": _engines(candidates)},
        "margins": {"accuracy": float(accuracy_margin), "log10_loss": float(settings.log_loss_margin)},
    }
    result.update(_paired_tests(references, candidates, accuracy_margin, settings.log_loss_margin))
    result["accuracy_curves"] = curve_agreement(pairs, "accuracies")
    result["loss_curves"] = curve_agreement(pairs, "losses")
    result["per_cell"] = [_cell_summary(every_pair, cell)
                          for cell in sorted(set(result["cells"]) | collapsed)]
    result["collapsed"], result["collapsed_below"] = sorted(collapsed), float(collapsed_below)
    test = result["test_accuracy"]
    result["precision"] = {
        "supported_margin": stats.supported_margin(test["mean_difference"], test["sd_difference"], test["n"]),
        "pairs_needed": (stats.pairs_for_margin(test["sd_difference"], accuracy_margin)
                         if test["sd_difference"] >= 0 else math.nan)}
    result["verdict"] = stats.overall_verdict(result[name]["verdict"] for name, _label in PAIRED_TESTS)
    return result


def _collapsed_cells(pairs, below):
    """The cells (model, learning rate) where both engines' mean test accuracy is below ``below``: that
    they agree there says only that both fail, so those cells are left out of the tests."""
    cells = {key[:2] for key, _reference, _candidate in pairs}
    return {cell for cell in cells if all(
        np.mean([run["accuracy"] for run in runs]) < below
        for runs in zip(*[(reference, candidate) for key, reference, candidate in pairs if key[:2] == cell]))}


def _paired_tests(references, candidates, accuracy_margin, log_loss_margin):
    """``stats.paired_test`` of each quantity of ``PAIRED_TESTS`` over the paired runs."""
    quantities = {"test_accuracy": (_test_accuracy, accuracy_margin),
                  "final_train_accuracy": (_final_accuracy, accuracy_margin),
                  "final_train_log10_loss": (_final_log_loss, log_loss_margin)}
    return {name: stats.paired_test([quantity(run) for run in references],
                                    [quantity(run) for run in candidates], margin)
            for name, (quantity, margin) in quantities.items()}


def _test_accuracy(run):
    return run["accuracy"]


def _final_accuracy(run):
    return stats.final_epoch_mean(run["accuracies"], run["n_epochs"])


def _final_log_loss(run):
    return stats.log10(stats.final_epoch_mean(run["losses"], run["n_epochs"]))


def _engines(runs):
    return sorted({str(run["engine"]) for run in runs if run.get("engine") is not None})


def _cell_summary(pairs, cell):
    """Test accuracy of both engines in ``cell`` (model, learning rate): mean, sd, runs that diverged."""
    cell_pairs = [(reference, candidate) for key, reference, candidate in pairs if key[:2] == cell]
    summary = {"model": cell[0], "learning_rate": cell[1], "n": len(cell_pairs)}
    for role, runs in zip(("reference", "candidate"), zip(*cell_pairs)):
        accuracy = stats.describe([run["accuracy"] for run in runs])
        summary.update({role + "_mean": accuracy["mean"], role + "_sd": accuracy["sd"],
                        role + "_diverged": sum(bool(run.get("diverged")) for run in runs)})
    return summary


def curve_agreement(pairs, key):
    """Point-by-point paired t-tests of the candidate's curves against the reference's.

    ``key`` is "losses" or "accuracies". Losses are compared as log10(loss), and non-positive losses
    count as NaN. Pairs whose two curves differ in length are left out. Within each cell (model,
    learning rate; curves of one length) each point is tested across the seeds
    (``stats.paired_points``). Returns ``points`` (the points tested), ``fraction_p_below_0.05``
    (about 0.05 is expected if the engines agree), ``max_abs_mean_difference`` (the largest |mean over
    seeds of the difference|) and ``median_seed_sd``. That is the median over points and cells of the
    reference's sd across seeds: the scale of seed-to-seed variation for the differences.
    """
    if key not in CURVE_SCALES:
        raise ValueError("curve key must be one of %s, got %r" % (", ".join(CURVE_SCALES), key))
    groups, used = _curve_groups(pairs, key)
    tested = np.array([point for group_key in sorted(groups) for point in stats.paired_points(
        *(np.array(curves) for curves in groups[group_key]), min_pairs=MIN_CURVE_PAIRS)]).reshape(-1, 3)
    p_values, mean_differences, seed_sds = tested.T
    points = len(tested)
    return {
        "key": key,
        "scale": CURVE_SCALES[key],
        "pairs": used,
        "points": points,
        "fraction_p_below_0.05": float(np.mean(p_values < ALPHA)) if points else math.nan,
        "max_abs_mean_difference": float(np.max(np.abs(mean_differences))) if points else math.nan,
        "median_seed_sd": float(np.median(seed_sds)) if points else math.nan,
    }


def _curve_groups(pairs, key):
    """The ``key`` curves of the pairs, on their scale, grouped by (model, learning rate, length) as
    ``(reference curves, candidate curves)``; and the number of pairs used."""
    scale = np.vectorize(stats.log10, otypes=[float]) if CURVE_SCALES[key] == "log10" else np.asarray
    groups, used = {}, 0
    for (model, learning_rate, _seed), reference, candidate in pairs:
        reference_curve, candidate_curve = stats.floats(reference[key]), stats.floats(candidate[key])
        if reference_curve.size != candidate_curve.size or not reference_curve.size:
            continue
        used += 1
        group = groups.setdefault((model, learning_rate, reference_curve.size), ([], []))
        group[0].append(scale(reference_curve))
        group[1].append(scale(candidate_curve))
    return groups, used


# ---- the report section


def equivalence_markdown(result):
    """A Markdown section that presents an ``engine_equivalence`` result: tests, cells, curves, verdict."""
    reference, candidate = _engine_name(result, "reference"), _engine_name(result, "candidate")
    lines = ["## Engine equivalence: %s vs %s" % (candidate, reference), "", _method(result), ""]
    lines += [_tests_table(result), "", _precision(result), ""]
    lines += ["Test accuracy per cell (mean ± sd over seeds):", ""]
    lines += [_cells_table(result, reference, candidate), ""]
    lines += ["Training curves, point by point: a paired t-test across seeds within each cell at every "
              "point with at least %d finite pairs. If the engines agree, about %g of the points should "
              "have p < %g by chance." % (MIN_CURVE_PAIRS, ALPHA, ALPHA), "", _curves_table(result), ""]
    lines += [_scale(result), ""]
    lines += ["**Overall verdict: %s** (indistinguishable if all three paired tests are; equivalent if "
              "all show equivalence within their margins; different if any finds a difference it cannot "
              "bound; inconclusive otherwise)." % result["verdict"], ""]
    return "\n".join(lines)


def _engine_name(result, role):
    names = result.get("engines", {}).get(role) or []
    return "%s (%s)" % (role, ", ".join("`%s`" % name for name in names)) if names else role


def _method(result):
    """How the runs are paired and tested, and what the verdicts mean."""
    return ("%d runs of each engine, paired by model, learning rate and seed (%d cells x seeds %s). Each "
            "quantity is compared on the paired differences candidate - reference with a two-sided paired "
            "t-test and a Wilcoxon signed-rank test (is there a difference?) and with TOST, two one-sided "
            "t-tests for equivalence within ±%g for accuracies and ±%g for log10(loss) (is any difference "
            "that small?). A quantity is *indistinguishable* when the t-test gives p >= %g and TOST p < %g, "
            "*equivalent* when both are below (a difference is detectable but lies within the margin), "
            "*different* when only the t-test is, and *inconclusive* when neither is." % (
                result["pairs"], len(result["cells"]), ", ".join("%d" % seed for seed in result["seeds"]),
                result["margins"]["accuracy"], result["margins"]["log10_loss"], ALPHA, ALPHA))


def _precision(result):
    """What margin the test-accuracy pairs support, how many pairs the configured margin would need, and
    which cells were left out."""
    test, precision, margin = result["test_accuracy"], result["precision"], result["margins"]["accuracy"]
    text = ("Precision: the %d test-accuracy pairs (paired sd %s) support equivalence within ±%s (TOST "
            "p < %g); showing ±%g with 80%% power when the engines agree would take about %s pairs "
            "(t-quantiles, the sd as measured)." % (
                test["n"], markdown.number(test["sd_difference"], "%.3g"),
                markdown.number(precision["supported_margin"], "%.3g"), ALPHA, margin,
                markdown.number(precision["pairs_needed"], "%d")))
    if result["collapsed"]:
        text += (" Cells where both engines collapse (mean test accuracy below %g: %s) are left out of the "
                 "tests, as agreeing there says only that both fail." % (
                     result["collapsed_below"], ", ".join("%s at %g" % cell for cell in result["collapsed"])))
    return text


def _tests_table(result):
    rows = []
    for name, label in PAIRED_TESTS:
        test = result[name]
        low, high = test["ci95"]
        rows.append([label, "%d" % test["n"] + (" (%d dropped)" % test["dropped"] if test["dropped"] else ""),
                     markdown.number(test["mean_difference"], "%+.3g"),
                     "[%s, %s]" % (markdown.number(low, "%+.3g"), markdown.number(high, "%+.3g")),
                     markdown.p_value(test["t_p"]), markdown.wilcoxon(test),
                     "%s (±%g)" % (markdown.p_value(test["tost_p"]), test["margin"]), test["verdict"]])
    return markdown.table(["quantity", "n", "mean difference", "95% CI", "t-test p", "Wilcoxon p", "TOST p",
                           "verdict"], rows)


def _cells_table(result, reference, candidate):
    rows = [[cell["model"], "%g" % cell["learning_rate"], "%d" % cell["n"],
             "%s ± %s" % (markdown.number(cell["reference_mean"]), markdown.number(cell["reference_sd"])),
             "%s ± %s" % (markdown.number(cell["candidate_mean"]), markdown.number(cell["candidate_sd"])),
             "%d / %d" % (cell["reference_diverged"], cell["candidate_diverged"]),
             "left out: both collapse" if _left_out(result, cell) else "yes"]
            for cell in result["per_cell"]]
    return markdown.table(["model", "learning rate", "seeds", reference, candidate, "diverged (ref / cand)",
                           "tested"], rows)


def _left_out(result, cell):
    """Whether a per-cell summary's cell was left out of the tests (both engines collapse there)."""
    return (cell["model"], cell["learning_rate"]) in result["collapsed"]


def _curves_table(result):
    rows = []
    for name, label in (("accuracy_curves", "training accuracy"), ("loss_curves", "training log10(loss)")):
        curve = result[name]
        rows.append([label, "%d" % curve["points"], markdown.number(curve["fraction_p_below_0.05"], "%.3f"),
                     markdown.number(curve["max_abs_mean_difference"], "%.4g"),
                     markdown.number(curve["median_seed_sd"], "%.4g")])
    return markdown.table(["curve", "points tested", "fraction p < 0.05", "max abs mean difference",
                           "median seed-to-seed sd"], rows)


def _scale(result):
    """The paired differences' spread beside the spread between two seeds of the reference engine."""
    seed_sd = math.sqrt(2) * float(np.median([cell["reference_sd"] for cell in result["per_cell"]
                                              if not _left_out(result, cell)]))
    return ("For scale: the paired test-accuracy differences have sd %s; two seeds of the reference "
            "engine differ by about %s (sqrt(2) x the median per-cell sd over seeds). Batch-1 training "
            "from a std-1 initialisation is chaotic, so a seed's two runs drift apart as two seeds do; "
            "a tight equivalence margin then needs many seeds." % (
                markdown.number(result["test_accuracy"]["sd_difference"], "%.3g"),
                markdown.number(seed_sd, "%.3g")))
