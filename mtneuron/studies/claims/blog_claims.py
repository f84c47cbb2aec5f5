"""The blog's claims C1-C6, each tested on the claims study's own runs (the blog's setup at batch size 1,
seeds and a wide rate grid): ``claim(runs) -> (verdict, rule, findings)``."""

import math

import numpy as np

from mtneuron import blog
from mtneuron.blog import LABELS
from mtneuron.blog_runs import cell, learning_rates, models
from mtneuron.run import stats
from mtneuron.run.records import curve_band, format_rate
from mtneuron.studies.claims.figures import FROZEN_FIGURE, GRID_FIGURE, OWN, figure_name
from mtneuron.studies.claims.measurements import measured, measurement_names, over_training, paired
from mtneuron.studies.claims.verdicts import (
    CONFIRMED,
    CONTRADICTED,
    MIXED,
    NOT_SUPPORTED,
    SUPPORTED,
    UNMEASURED,
    mean_text,
    share,
    test_text,
)
from mtneuron.studies.reproduction.figures import BARS_FIGURE, CURVES_FIGURE
from mtneuron.studies.reproduction.report import FAILED

BLOG_RATES = blog.LEARNING_RATES
HIGH_RATES = BLOG_RATES[-2:]  # the blog's "high learning rates"
TRAINS_WELL = 0.8  # mean test accuracy from which a model "performs well"
MUCH_LOWER = 2.0  # "much lower" loss: at least this factor
SMALL_GAP = 0.02  # a train-test accuracy gap up to this is "no overfitting"
DEGRADED = 0.1  # a mean test accuracy this far below the model's best counts as degraded
BASIN = 0.02  # a rate is in a model's basin when its mean test accuracy is within this of the model's best
SURE = 0.99  # the least fraction of non-zero multi-threshold units that confirms the construction (C4)


def claim_robust(runs):
    """C1: multi-threshold beats central at the high learning rates (paired by seed); is that a wider basin
    of good rates, or the same basin shifted to higher rates?"""
    lines, higher, rates = [], 0, [rate for rate in HIGH_RATES if cell(runs, "multi", rate)]
    for rate in rates:
        central, multi = paired(runs, rate, lambda run: run["accuracy"])
        result = stats.compare_models(central, multi)
        higher += result["better"] == "multi"
        lines.append("learning rate %s: test accuracy central %s, multi %s; %s."
                     % (format_rate(rate), mean_text(central), mean_text(multi), test_text(result)))
    widths = {}
    for model in models(runs):
        means = _means(runs, model)
        basin = _basin(means)
        widths[model] = basin[-1] / basin[0]
        lines.append("%s: best rate %s (mean test accuracy %.4f); its basin (rates within %.2f of the best): "
                     "%s (%s of the grid, a factor of %g)." % (
                         LABELS[model], format_rate(max(means, key=means.get)), max(means.values()), BASIN,
                         " to ".join(sorted({format_rate(basin[0]), format_rate(basin[-1])}, key=float)),
                         "%d rate%s" % (len(basin), "s" if len(basin) > 1 else ""), widths[model]))
    better_high = bool(rates) and higher == len(rates)
    wider = widths.get("multi", 0) > widths.get("central", float("inf"))
    verdict = SUPPORTED if better_high and wider else MIXED if better_high else NOT_SUPPORTED
    rule = ("supported if multi-threshold's test accuracy is higher at %s (paired t-test p < 0.05) and its "
            "basin (the grid rates around its best whose mean test accuracy is within %.2f of the best) "
            "spans a wider factor than central's; mixed if it is only higher at those rates (the basin "
            "shifted, not widened); not supported otherwise"
            % (" and ".join(map(format_rate, HIGH_RATES)), BASIN))
    return verdict, rule, lines


def _means(runs, model):
    """``{rate: mean test accuracy over seeds}`` of ``model`` over the grid."""
    return {rate: stats.describe([run["accuracy"] for run in cell(runs, model, rate)])["mean"]
            for rate in learning_rates(runs) if cell(runs, model, rate)}


def _basin(means):
    """The grid rates next to each other around the best rate whose mean is within ``BASIN`` of the best."""
    rates = sorted(means)
    low = high = rates.index(max(rates, key=means.get))
    floor = means[rates[low]] - BASIN
    while low > 0 and means[rates[low - 1]] >= floor:
        low -= 1
    while high + 1 < len(rates) and means[rates[high + 1]] >= floor:
        high += 1
    return rates[low:high + 1]


def _collapse(runs, model):
    """``(best rate, best mean, first rate above the best where the mean is below FAILED or None, means)``."""
    means = _means(runs, model)
    best = max(means, key=means.get)
    collapse = next((rate for rate in sorted(means) if rate > best and means[rate] < FAILED), None)
    return best, means[best], collapse, means


def claim_shift(runs):
    """C2: is multi-threshold's robustness only a shift, so that it collapses at higher learning rates too?"""
    found = {model: _collapse(runs, model) for model in models(runs)}
    lines = []
    for model, (best, best_mean, collapse, means) in found.items():
        lines.append("%s: best mean test accuracy %.4f at %s; %s. Means: %s." % (
            LABELS[model], best_mean, format_rate(best),
            "first below %.1f at %s" % (FAILED, format_rate(collapse)) if collapse else
            "never below %.1f up to %s" % (FAILED, format_rate(max(means))),
            ", ".join("%s: %.3f" % (format_rate(rate), mean) for rate, mean in sorted(means.items()))))
    best, best_mean, collapse, means = found["multi"]
    central_collapse = found["central"][2] if "central" in found else None
    worst_above = min((mean for rate, mean in means.items() if rate > best), default=best_mean)
    if collapse is not None:
        verdict = SUPPORTED
        if central_collapse:
            lines.append("The collapse moves from %s (central) to %s (multi): a shift by a factor of %g." % (
                format_rate(central_collapse), format_rate(collapse), collapse / central_collapse))
    else:
        verdict = MIXED if best_mean - worst_above > DEGRADED else NOT_SUPPORTED
    rule = ("supported (only a shift) if multi-threshold's mean test accuracy falls below %.1f at some "
            "learning rate above its best within the grid; mixed if it only degrades by more than %.1f; "
            "not supported if it holds up to the largest rate tried" % (FAILED, DEGRADED))
    return verdict, rule, lines


def _log_loss(run):
    last = run["losses"][-1] if run["losses"] else None
    return math.log10(last) if last is not None and math.isfinite(last) and last > 0 else math.nan


def claim_loss(runs):
    """C3: where central-threshold trains well, its final training loss is much lower than multi's."""
    lines, passed, good = [], 0, []
    for rate in learning_rates(runs):
        central_runs = cell(runs, "central", rate)
        if rate in BLOG_RATES and central_runs and stats.describe(
                [run["accuracy"] for run in central_runs])["mean"] >= TRAINS_WELL:
            good.append(rate)
    for rate in good:
        central, multi = paired(runs, rate, _log_loss)
        result = stats.compare_models(central, multi)
        much = result["better"] == "multi" and result["mean_difference"] >= math.log10(MUCH_LOWER)
        passed += much
        ratio = 10 ** result["mean_difference"]
        central_curve, multi_curve = (
            curve_band([run["losses"] for run in cell(runs, model, rate)])[0]
            for model in ("central", "multi"))
        length = min(len(central_curve), len(multi_curve))
        below = np.mean(central_curve[:length] < multi_curve[:length])
        lines.append("learning rate %s: final-window loss, geometric mean ratio multi/central %.3g; "
                     "log10 %s; central's mean loss curve is below multi's at %.0f%% of the %d points."
                     % (format_rate(rate), ratio, test_text(result, "%.3f"), 100 * below, length))
    if not good:
        lines.append("central-threshold reaches a mean test accuracy of %.1f at none of the blog's learning "
                     "rates, so the claim has nothing to apply to." % TRAINS_WELL)
    rule = ("at each blog learning rate where central-threshold's mean test accuracy is at least %.1f: "
            "supported if its final-window training loss is at least %gx lower than multi-threshold's "
            "(paired t-test on log10 loss, p < 0.05) at all of them, mixed if at some"
            % (TRAINS_WELL, MUCH_LOWER))
    return share(passed, len(good)), rule, lines


def _claim_more(runs, families, what):
    """Multi-threshold's measurements are higher than central's, for every layer at every blog rate."""
    runs = measured(runs)
    lines, passed, total = [], 0, 0
    names = [name for family in families for name in measurement_names(runs, family)]
    for rate in [rate for rate in BLOG_RATES if cell(runs, "multi", rate)]:
        for name in names:
            central, multi = paired(runs, rate, lambda run, name=name: over_training(run, name))
            result = stats.compare_models(central, multi)
            total += 1
            passed += result["better"] == "multi"
            lines.append("learning rate %s, %s (mean over training): central %s, multi %s; %s."
                         % (format_rate(rate), name, mean_text(central), mean_text(multi),
                            test_text(result)))
    rule = ("supported if multi-threshold's %s, averaged over training, are higher than central-threshold's "
            "for every layer at every blog learning rate (paired t-test p < 0.05), mixed if for some, not "
            "supported if for none" % what)
    return share(passed, total), rule, lines


def claim_sparsity(runs):
    """C4, a consequence of the construction: a multi-threshold unit outputs sum_i relu(W_ji x_i) + b_j, a
    sum of non-negative terms plus a bias, which is 0 only when every term and the bias are exactly 0; so
    its units are almost never silent however few synapses pass signal. The measurement confirms it;
    central's units, and the fractions with positive output (which depend on the biases' signs), beside."""
    _verdict, _rule, lines = _claim_more(runs, ("units_nonzero", "units_positive"),
                                         "fractions of units with non-zero and with positive output")
    runs = measured(runs)
    lowest = []
    for rate in [rate for rate in BLOG_RATES if cell(runs, "multi", rate)]:
        for name in measurement_names(runs, "units_nonzero"):
            lowest += [over_training(run, name) for run in cell(runs, "multi", rate)]
        for name in measurement_names(runs, "synapses_positive"):
            values = [over_training(run, name) for run in cell(runs, "multi", rate)]
            lines.append("context, learning rate %s: multi-threshold %s (synapses passing signal) %s."
                         % (format_rate(rate), name, mean_text(values)))
    if lowest:
        lines.insert(0, "lowest fraction of non-zero multi-threshold units over training, over every layer, "
                        "seed and blog learning rate: %.4f." % min(lowest))
    verdict = UNMEASURED if not lowest else CONFIRMED if min(lowest) >= SURE else CONTRADICTED
    rule = ("a consequence of the construction, not a statistical finding: confirmed if, at every blog "
            "learning rate, every seed's fraction of multi-threshold units with non-zero output, averaged "
            "over training, is at least %.2f in every layer; the comparisons with central below are "
            "measurements" % SURE)
    return verdict, rule, lines


def claim_gradients(runs):
    """C5: more weights are updated at each step (a larger fraction of non-zero gradient entries); with
    the context of how much of each weight matrix never moved, and could never move, in training."""
    verdict, rule, lines = _claim_more(runs, ("gradient_nonzero",),
                                       "fractions of non-zero weight-gradient entries")
    for rate in BLOG_RATES:
        for model in models(runs):
            changes = [run for run in cell(runs, model, rate) if "weights_frozen" in run]
            if changes:
                lines.append("context, learning rate %s, %s: fraction of each weight matrix still at its "
                             "initial value after training %s; that no step could change %s (%d seeds)." % (
                                 format_rate(rate), LABELS[model], _per_matrix(changes, "weights_unchanged"),
                                 _per_matrix(changes, "weights_frozen"), len(changes)))
    return verdict, rule, lines


def _per_matrix(runs, key):
    """``W_01 mean ± sd, W_12 ...`` of the records' ``key`` (a fraction per weight matrix)."""
    return ", ".join("%s %s" % (name, mean_text([run[key][name] for run in runs]))
                     for name in sorted(runs[0][key]))


def claim_overfitting(runs):
    """C6: multi-threshold does not overfit, told apart from underfitting: at each blog rate where it trains,
    a large train-test gap is overfitting; a small gap with a lower training accuracy than central's is
    underfitting; a smaller gap than central's at no lower training accuracy is generalising better."""
    lines, diagnoses = [], []
    for rate in [rate for rate in BLOG_RATES if cell(runs, "multi", rate)]:
        multi_runs = [run for run in cell(runs, "multi", rate) if "train_test_gap" in run]
        if not all(runs_ and stats.describe([run["accuracy"] for run in runs_])["mean"] >= FAILED
                   for runs_ in (multi_runs, cell(runs, "central", rate))):
            continue
        gap, train, loss = (stats.compare_models(*paired(runs, rate, value)) for value in (
            lambda run: run.get("train_test_gap"), lambda run: run.get("train_accuracy"), _log_loss))
        diagnoses.append(_fit(gap, train, [run["train_test_gap"] for run in multi_runs]))
        lines.append("learning rate %s: %s. Gap (train - test accuracy): %s. Training accuracy: %s. "
                     "Final-window training loss, multi/central %.3g (geometric mean)." % (
                         format_rate(rate), diagnoses[-1], test_text(gap), test_text(train),
                         10 ** loss["mean_difference"]))
    verdict = (NOT_SUPPORTED if not diagnoses or any(one.startswith("overfits") for one in diagnoses) else
               SUPPORTED if all(one.startswith("generalises") for one in diagnoses) else MIXED)
    rule = ("at each blog learning rate where both models train (mean test accuracy >= %.1f), from the "
            "training accuracy on the %s training examples after training and the test accuracy: multi "
            "*overfits* if its mean gap exceeds %.2f; else it *underfits* if its training accuracy is lower "
            "than central's (paired t-test p < 0.05); else it *generalises better* if its gap is smaller "
            "than central's (p < 0.05). Supported if it generalises better at every such rate, not supported "
            "if it overfits at any (or both train at none), mixed otherwise" % (
                FAILED, f"{blog.TRAIN_EXAMPLES:,}", SMALL_GAP))
    return verdict, rule, lines


def _fit(gap, train, multi_gaps):
    """The diagnosis at one rate from multi's gaps and the paired tests (multi - central) of the gap and the
    training accuracy (``better`` names the model with the higher mean, when the t-test shows one)."""
    text = mean_text(multi_gaps)
    if stats.describe(multi_gaps)["mean"] > SMALL_GAP:
        return "overfits (gap %s)" % text
    if train["better"] == "central":
        return "underfits: gap %s, training accuracy %+.4f against central's" % (
            text, train["mean_difference"])
    if gap["better"] == "central":  # central's gap is the larger
        return "generalises better: gap %s, smaller than central's at no lower training accuracy" % text
    return "neither: gap %s, not shown smaller than central's" % text


CLAIMS = (  # id, the blog's claim, its test, the figures that show it: (OWN or COMPARISON, file name)
    ("C1", "The multi-threshold model is more robust to high learning rates (%s)."
     % ", ".join(format_rate(rate) for rate in HIGH_RATES),
     claim_robust, ((OWN, BARS_FIGURE),)),
    ("C2", "The blog's open question: is that robustness only a shift, so that multi-threshold "
           "collapses too at even higher learning rates?", claim_shift, ((OWN, GRID_FIGURE),)),
    ("C3", "When the central model trains well, its loss is much lower than the multi model's.",
     claim_loss, ((OWN, CURVES_FIGURE),)),
    ("C4", "Multi-threshold neurons fire less sparsely (\"greatly reduce the sparsity\").",
     claim_sparsity, ((OWN, figure_name("units_nonzero")),)),
    ("C5", "More weights are updated at each step (fewer zero gradients).", claim_gradients,
     ((OWN, figure_name("gradient_nonzero")), (OWN, FROZEN_FIGURE))),
    ("C6", "Multi-threshold does not overfit (train vs test gap).", claim_overfitting, ((OWN, GRID_FIGURE),)),
)
