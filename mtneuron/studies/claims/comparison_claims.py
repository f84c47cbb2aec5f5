"""The claims that need the comparison study (C7-C11): each neuron at its own best rate and init, every
run trained to its own plateau (early stopping), the paper's neuron, the blog's approximations of it,
the first layer on pixels, and inputs with both signs.

Each claim is ``claim(runs, comparison) -> (verdict, rule, findings)``: ``runs`` are the claims study's
batch-1 records of the blog's setup, ``comparison`` the comparison study's records. Where a claim tests
several cells, Holm's correction runs over them. Imports no TensorFlow.
"""

from mtneuron import blog
from mtneuron.blog_runs import cell
from mtneuron.run import stats
from mtneuron.run.markdown import p_value, wilcoxon
from mtneuron.run.records import format_rate
from mtneuron.studies.claims import verdicts
from mtneuron.studies.claims.figures import COMPARISON, FROZEN_FIGURE, OWN
from mtneuron.studies.comparison import config
from mtneuron.studies.comparison import figures as comparison_figures
from mtneuron.studies.comparison.config import DATA_NAMES, NETWORKS, PAPER_BATCH
from mtneuron.studies.comparison.runs import (
    all_cells,
    approximations,
    best_of,
    cell_summary,
    head_to_head,
    paired_accuracies,
    signed_inputs,
)

MATCHES = 0.005  # multi "matches" central unless it is shown worse by more than this
WITHIN = 0.05  # the paper's neuron trains "to within" this of the ReLU multi-threshold network
FROZEN_TOLERANCE = 0.005  # measured frozen fraction against 1/2 + 1/2 x (never-lit pixels)


def _summaries(comparison):
    """``runs.cell_summary`` of every cell of the comparison study."""
    return [cell_summary(comparison, one) for one in all_cells(comparison)]


def _summary_text(summary):
    return "%.4f ± %.4f" % (summary["test"]["mean"], summary["test"]["sd"])


def _epochs_text(summary):
    """``14.2 epochs of at most 30 (best 9.2)``, and how many final runs hit the cap."""
    capped = ", %d of %d at the cap" % (summary["capped"], summary["test"]["n"]) if summary["capped"] else ""
    return "%.1f epochs of at most %d (best %.1f%s)" % (summary["epochs"], summary["cell"].n_epochs,
                                                        summary["best_epoch"], capped)


def _where(result):
    """``MNIST MLP, batch 128`` (``MNIST centred ...`` for centred inputs)."""
    return "%s%s %s, batch %d" % (DATA_NAMES[result["dataset"]], " centred" if result["centred"] else "",
                                  NETWORKS[result["architecture"]], result["batch_size"])


def _shown_worse(result):
    """Multi is shown worse than central by more than ``MATCHES``: Holm p below alpha, mean below -MATCHES."""
    return result["holm_p"] < stats.ALPHA and result["test"]["mean_difference"] < -MATCHES


def _match_lines(results):
    """One line per head-to-head cell: both neurons at their best, the paired difference, Holm's p."""
    return ["%s: central (%s init, rate %s) %s, %s; multi (%s init, rate %s) %s, %s; multi - central = "
            "%+.4f (95%% CI %+.4f to %+.4f), paired t-test p = %s, Holm p = %s, Wilcoxon p = %s, %d seeds."
            % (
                _where(result), result["central"]["cell"].init, format_rate(result["central"]["rate"]),
                _summary_text(result["central"]), _epochs_text(result["central"]),
                result["multi"]["cell"].init,
                format_rate(result["multi"]["rate"]), _summary_text(result["multi"]),
                _epochs_text(result["multi"]), result["test"]["mean_difference"], result["test"]["ci95"][0],
                result["test"]["ci95"][1], p_value(result["test"]["t_p"]), p_value(result["holm_p"]),
                wilcoxon(result["test"]), result["test"]["n"]) for result in results]


def _match_verdict(results):
    return verdicts.share(sum(not _shown_worse(result) for result in results), len(results))


MATCH_RULE = ("each neuron at the init and learning rate that won on validation, trained to its plateau, "
              "test accuracy paired by seed, Holm's correction over the cells: supported if in no cell multi-"
              "threshold is shown worse by more than %g (Holm p < %g and multi - central < -%g), mixed if in "
              "some, not supported if in all" % (MATCHES, stats.ALPHA, MATCHES))


def claim_fair(runs, comparison):
    """C7: on MNIST, each neuron at its own best init and rate, multi-threshold matches or beats central."""
    results = [result for result in head_to_head(comparison, _summaries(comparison))
               if result["dataset"] == "mnist"]
    rule = "on MNIST, per network and batch size: " + MATCH_RULE
    return _match_verdict(results), rule, _match_lines(results)


def claim_signed(runs, comparison):
    """C11: where the inputs have both signs (MNIST-1D; MNIST centred), multi-threshold matches central."""
    results = signed_inputs(comparison, _summaries(comparison))
    return (_match_verdict(results), "MNIST-1D per batch size and MNIST with centred inputs: " + MATCH_RULE,
            _match_lines(results))


def _paired_line(comparison, reference, candidate, name):
    """``name`` against ``reference`` (cell summaries): both, and ``candidate - reference`` paired by seed."""
    pairs = paired_accuracies(comparison, reference["cell"], candidate["cell"])
    test = stats.paired_test(*pairs, margin=0.0)
    return test, "%s: %s at rate %s, %s; against %s %s at rate %s, %s: difference %+.4f (95%% CI %+.4f to " \
        "%+.4f), %d seeds" % (
            name, _summary_text(candidate), format_rate(candidate["rate"]), _epochs_text(candidate),
            config.LABELS[reference["cell"].kind], _summary_text(reference), format_rate(reference["rate"]),
            _epochs_text(reference), test["mean_difference"], test["ci95"][0], test["ci95"][1], test["n"])


def claim_heaviside(runs, comparison):
    """C8: the paper's neuron (Heaviside step, a threshold per synapse, no bias) trains to within
    ``WITHIN`` of the ReLU multi-threshold MLP, each to its own plateau, on each data set."""
    summaries, lines, found = _summaries(comparison), [], []
    for dataset in config.DATASETS:
        multi = best_of(summaries, "mlp", "multi", PAPER_BATCH, dataset)
        for kind in config.PAPER_NEURONS:
            paper = best_of(summaries, "mlp", kind, PAPER_BATCH, dataset)
            if multi is None or paper is None:
                continue
            test, line = _paired_line(comparison, multi, paper, "%s, %s (MLP, batch %d)" % (
                DATA_NAMES[dataset], config.LABELS[kind], PAPER_BATCH))
            lines.append(line + "; %.0f us/step against %.0f." % (paper["us_per_step"], multi["us_per_step"]))
            if kind == "paper":
                found.append(test["ci95"][0] >= -WITHIN)
    verdict = verdicts.share(sum(found), len(found))
    rule = ("on each data set, the paper's neuron's test accuracy minus the multi-threshold ReLU MLP's (at "
            "its best init, batch %d, both trained to their plateaus, paired by seed): within %g if its 95%% "
            "CI lies above -%g; supported if within on every data set, not "
            "supported if on none, mixed otherwise; the paper's neuron with a bias, and with ReLU, as "
            "context" % (PAPER_BATCH, WITHIN, WITHIN))
    return verdict, rule, lines


def claim_approximations(runs, comparison):
    """C10: the blog's three approximations of the paper's neuron, one at a time, cost no accuracy."""
    summaries, lines, costs, steps_tested = _summaries(comparison), [], 0, 0
    for dataset in config.DATASETS:
        for step in approximations(comparison, summaries, dataset):
            test = step["test"]
            cost = step["holm_p"] < stats.ALPHA and test["mean_difference"] < 0
            gain = step["holm_p"] < stats.ALPHA and test["mean_difference"] > 0
            costs, steps_tested = costs + cost, steps_tested + 1
            lines.append("%s, %s (%s -> %s): after - before = %+.4f (95%% CI %+.4f to %+.4f), paired t-test "
                         "p = %s, Holm p = %s, Wilcoxon p = %s, %d seeds: %s." % (
                             DATA_NAMES[dataset], step["change"], config.LABELS[step["before"]["cell"].kind],
                             config.LABELS[step["after"]["cell"].kind], test["mean_difference"],
                             test["ci95"][0], test["ci95"][1], p_value(test["t_p"]), p_value(step["holm_p"]),
                             wilcoxon(test), test["n"],
                             "costs accuracy" if cost else "gains accuracy" if gain else
                             "no difference shown"))
    rule = ("each step from the paper's neuron to the blog's (a bias added; ReLU for the step; thresholds "
            "fixed at 0) in the MLP at batch %d, test accuracy after - before paired by seed, Holm's "
            "correction over a data set's steps; a step costs accuracy when Holm p < %g and the difference "
            "is negative: supported if no step costs accuracy on any data set, mixed if some do, not "
            "supported if all do" % (PAPER_BATCH, stats.ALPHA))
    return verdicts.share(steps_tested - costs, steps_tested), rule, lines


def claim_linear(runs, comparison):
    """C9, a consequence of the construction: on pixels (x >= 0) relu(W x) = relu(W) x, so the first
    multi-threshold layer is linear; a weight that starts negative, or sits on a pixel no training image
    lights, never has a gradient, so 1/2 + 1/2 x (never-lit pixels) of its weights are frozen for a
    symmetric init. Confirmed by the measured masks and the weights that never moved; its cost is
    measured against softmax regression and a central MLP with one hidden layer."""
    lines, checks = _frozen_lines(runs)
    summaries = _summaries(comparison)
    linear = [one for one in summaries if one["cell"].kind == "linear" and one["cell"].dataset == "mnist"]
    for summary in [one for one in linear if one["test"]["n"]]:
        multi = best_of(summaries, "mlp", "multi", summary["cell"].batch_size)
        if multi is not None:
            lines.append(_paired_line(comparison, summary, multi, "MNIST, the multi MLP at batch %d (%s init)"
                                      % (summary["cell"].batch_size, multi["cell"].init))[1] + ".")
    one_layer = best_of(summaries, "mlp1", "central", PAPER_BATCH)
    multi = best_of(summaries, "mlp", "multi", PAPER_BATCH)
    if one_layer is not None and multi is not None:
        lines.append(_paired_line(comparison, one_layer, multi, "MNIST, the multi MLP at batch %d (%s init), "
                                  "against %s (one non-linear layer too)" % (
                                      PAPER_BATCH, multi["cell"].init, NETWORKS["mlp1"]))[1] + ".")
    verdict = (verdicts.UNMEASURED if not checks else verdicts.CONFIRMED if all(checks) else
               verdicts.CONTRADICTED)
    rule = ("a consequence of the construction, not a statistical finding: confirmed if at every blog "
            "learning rate the measured fraction of W_01 no step could change lies within %g of 1/2 + 1/2 x "
            "the fraction central's W_01 has frozen (the weights on never-lit pixels), and in every run at "
            "least that fraction is still at its initial value after training; the cost (the multi MLP "
            "against softmax regression and the central 784-87-10 MLP, comparison study) is reported"
            % FROZEN_TOLERANCE)
    return verdict, rule, lines


def _frozen_lines(runs):
    """Per blog rate, the multi-threshold W_01's frozen fraction against the construction's prediction
    and the fraction that never moved; and whether each rate confirms the construction."""
    lines, checks = [], []
    for rate in blog.LEARNING_RATES:
        multi = [run for run in cell(runs, "multi", rate) if "weights_frozen" in run]
        central = [run for run in cell(runs, "central", rate) if "weights_frozen" in run]
        if not multi or not central:
            continue
        frozen = [run["weights_frozen"]["W_01"] for run in multi]
        unlit = stats.describe([run["weights_frozen"]["W_01"] for run in central])["mean"]
        predicted = 0.5 + 0.5 * unlit
        moved = sum(run["weights_unchanged"]["W_01"] < run["weights_frozen"]["W_01"] for run in multi)
        checks.append(abs(stats.describe(frozen)["mean"] - predicted) <= FROZEN_TOLERANCE and not moved)
        lines.append("learning rate %s: W_01 frozen %s (%d seeds); predicted 1/2 + 1/2 x %.4f (never-lit "
                     "pixels, central's frozen fraction) = %.4f; still at its initial value after training "
                     "%s; runs with fewer weights unchanged than frozen: %d." % (
                         format_rate(rate), verdicts.mean_text(frozen), len(frozen), unlit, predicted,
                         verdicts.mean_text([run["weights_unchanged"]["W_01"] for run in multi]), moved))
    return lines, checks


CLAIMS = (  # id, the claim, its test, the figures that show it: (OWN or COMPARISON, file name)
    ("C7", "On MNIST, with each neuron at its own best learning rate and init and trained to its plateau, "
           "multi-threshold matches or beats central-threshold, per network and batch size.", claim_fair,
     ((COMPARISON, comparison_figures.TEST_FIGURE), (COMPARISON, comparison_figures.RATE_FIGURE))),
    ("C8", "The paper's neuron (Heaviside step, a threshold per synapse, no bias) trains to within %s of the "
           "ReLU multi-threshold network, both trained to their plateaus." % WITHIN, claim_heaviside,
     ((COMPARISON, comparison_figures.TEST_FIGURE), (COMPARISON, comparison_figures.RATE_FIGURE))),
    ("C9", "On pixels the multi-threshold network's first layer is linear and half its weights are frozen; "
           "what that costs.", claim_linear,
     ((OWN, FROZEN_FIGURE), (COMPARISON, comparison_figures.TEST_FIGURE))),
    ("C10", "The blog's approximations of the paper's neuron (a bias, ReLU for the step, thresholds fixed "
            "at 0) cost no accuracy.", claim_approximations, ((COMPARISON, comparison_figures.TEST_FIGURE),)),
    ("C11", "Where the inputs have both signs (MNIST-1D; MNIST centred), so that the first multi-threshold "
            "layer is not linear, multi-threshold matches or beats central-threshold.", claim_signed,
     ((COMPARISON, comparison_figures.TEST_FIGURE),)),
)
