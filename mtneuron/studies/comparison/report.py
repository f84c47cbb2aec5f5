"""The comparison's report: ``summary.md`` (the data sets side by side, multi against central, every
cell, the blog's approximations one at a time, the paper's neurons, the linear baseline, the init check)
and its two figures."""

import os

from mtneuron.run import files, markdown, records, stats
from mtneuron.studies.comparison import figures, init_check
from mtneuron.studies.comparison.config import (
    DATA_NAMES,
    DATASETS,
    LABELS,
    NETWORKS,
    PAPER_BATCH,
    PAPER_NEURONS,
    SEARCH_SEED,
    cell_name,
    data_label,
)
from mtneuron.studies.comparison.runs import (
    all_cells,
    approximations,
    best_of,
    cell_summary,
    extends,
    head_to_head,
    paired_accuracies,
    repeated,
    search_runs,
    signed_inputs,
)

SUMMARY = "summary.md"


def write_report(out_dir):
    """Write ``summary.md`` and the two figures of the records in ``out_dir``; returns their paths."""
    runs = records.load_records(out_dir)
    if not any(run["seed"] == SEARCH_SEED for run in runs):
        raise records.RecordError("no search runs (seed %d) in %s: records of an earlier design of the "
                                  "comparison, which searched with a final seed; re-run mtneuron compare "
                                  "into a new --out" % (SEARCH_SEED, out_dir))
    check = records.read_json(os.path.join(out_dir, init_check.FILENAME))
    paths = [os.path.join(out_dir, name) for name in (figures.RATE_FIGURE, figures.TEST_FIGURE, SUMMARY)]
    files.save_figure(figures.rate_figure(runs), paths[0])
    files.save_figure(figures.test_figure(runs), paths[1])
    files.write_text(paths[2], summary_markdown(runs, check))
    return paths


def summary_markdown(runs, check=None):
    """``summary.md``: the head-to-head table, every cell, the paper's neurons, the linear baseline."""
    summaries = [cell_summary(runs, cell) for cell in all_cells(runs)]
    lines = ["# Multi- against central-threshold neurons, each at its own best", "", _setup(runs), ""]
    lines += _side_by_side_markdown(runs, summaries)
    lines += _head_to_head_markdown(head_to_head(runs, summaries))
    lines += _head_to_head_markdown(signed_inputs(runs, summaries), "Inputs with both signs: MNIST-1D and "
                                    "centred MNIST, where the first multi layer is not linear", "these rows")
    lines += ["## Every cell", "", _cells_table(summaries), "",
              "Figures: `%s` (validation accuracy of the search against the rate; the final seeds' test "
              "accuracies at the chosen rate), `%s` (test accuracy of every seed)."
              % (figures.RATE_FIGURE, figures.TEST_FIGURE),
              ""]
    lines += _approximations_markdown(runs, summaries)
    lines += _paper_markdown(summaries) + _linear_markdown(summaries)
    lines += [] if check is None else _check_markdown(check)
    lines += ["## Provenance", ""] + markdown.bullets(markdown.provenance(runs))
    return "\n".join(lines) + "\n"


def _setup(runs):
    """How the cells were searched, trained and scored."""
    grid, past = _grid(runs)
    cells = all_cells(runs)
    budgets = sorted({(cell.dataset, cell.n_epochs, cell.patience) for cell in cells
                      if not extends(cell, cells)}, key=lambda budget: DATASETS.index(budget[0]))
    return ("Each cell (data set, network, hidden neuron, init, batch size) picks its learning rate by the "
            "best validation accuracy of one run per rate with the search's own seed (%d, never a final "
            "seed): every cell searched %s, and a cell whose best rate lay on an end of its grid searched "
            "past it on the 1-3-10 sequence (rates only some cells searched: %s). The chosen rate is then "
            "trained with every final seed and scored once on the test set. Every run stops early: %s; the "
            "parameters of the best validation epoch are put back and scored there. A final run that hit the "
            "cap (early stopping had not ended it) trains again at twice the cap, the same seed and rate; a "
            "seed that stopped on validation stands for itself at the longer cap, and the comparisons take "
            "each cell at its longest (trained longer: %s). Adam; MNIST: 55,000 training, 5,000 validation, "
            "10,000 test images; MNIST-1D: 3,500, 500 and 1,000 signals. Inits: `scaled` He hidden and "
            "Glorot output kernels, zero biases; `derived` the per-synapse init of the README (centred, unit "
            "variance); `positive` derived with a first kernel >= 0. Intervals are 95%% t-intervals over "
            "seeds; paired tests pair equal seeds (the same data order)."
            % (SEARCH_SEED, ", ".join(map(records.format_rate, grid)),
               ", ".join(map(records.format_rate, past)) or "none",
               "; ".join("%s at most %d epochs, patience %s" % (DATA_NAMES[dataset], epochs, patience)
                         for dataset, epochs, patience in budgets),
               _longer(runs, cells)))


def _longer(runs, cells):
    """The cells trained again at a longer cap, and the check that the cap changed nothing before it."""
    longer = [cell for cell in cells if extends(cell, cells)]
    if not longer:
        return "none"
    names = "; ".join("%s, %d epochs" % (cell_name(cell), cell.n_epochs) for cell in longer)
    return ("%s; of the %d final runs trained at two caps, %d repeat the shorter run's validation accuracies "
            "exactly over its epochs" % ((names,) + repeated(runs)))


def _grid(runs):
    """The rates every cell searched, and those only some searched (past an end of a grid; the records do not
    say which grid a study was given)."""
    searched = [{run["learning_rate"] for run in search_runs(runs, cell)} for cell in all_cells(runs)]
    grid = set.intersection(*searched)
    return sorted(grid), sorted(set.union(*searched) - grid)



def _accuracy(summary):
    """``0.9712 ± 0.0011 (0.9698 to 0.9726)``, or what is missing."""
    test = summary["test"]
    if test["n"] < 2:
        return "%s (1 seed)" % markdown.number(test["mean"]) if test["n"] else "no final runs"
    return "%.4f ± %.4f (%.4f to %.4f)" % (test["mean"], test["sd"], test["ci95"][0], test["ci95"][1])


def _rate(summary):
    """The chosen rate, marked when it lies on the edge of the grid searched."""
    return records.format_rate(summary["rate"]) + (" (grid edge)" if summary["edge"] else "")


def _best(summary):
    """``init, rate: test accuracy`` of a neuron at its best."""
    return "%s, %s: %s" % (summary["cell"].init, _rate(summary), _accuracy(summary))


def _difference(test):
    """``+0.0123 (+0.0100 to +0.0146)``: a paired test's mean difference and its 95% interval."""
    return "%+.4f (%+.4f to %+.4f)" % ((test["mean_difference"],) + tuple(test["ci95"]))


def _head_to_head_markdown(results, title="Each neuron at its best init and learning rate",
                           family="each data set's rows"):
    """Multi at its best init and rate against central at its, per network and batch size."""
    if not results:
        return []
    rows = [["%s%s %s batch %d" % (DATA_NAMES[result["dataset"]], " centred" if result["centred"] else "",
                                   NETWORKS[result["architecture"]], result["batch_size"]),
             _best(result["central"]), _best(result["multi"]),
             _difference(result["test"]), markdown.p_value(result["test"]["t_p"]),
             markdown.p_value(result["holm_p"]), markdown.wilcoxon(result["test"]),
             "%d" % result["test"]["n"], _better(result)] for result in results]
    return ["## " + title, "",
            "The init is chosen per neuron by the final validation accuracy over seeds; test accuracy. "
            "Holm's correction runs over %s; a neuron is better when its Holm p is below %g."
            % (family, stats.ALPHA), "",
            markdown.table(["network", "central: init, rate, test", "multi: init, rate, test",
                            "multi - central", "paired t-test p", "Holm p", "Wilcoxon p", "seeds", "better"],
                           rows), ""]


def _better(result):
    """The neuron with the higher mean where Holm's p is below ``stats.ALPHA``, else "neither"."""
    if not result["holm_p"] < stats.ALPHA:
        return "neither"
    return "multi" if result["test"]["mean_difference"] > 0 else "central"


SIDE_BY_SIDE = (  # what the study concludes, per data set: (what, (network, neuron) before, after, batch)
    ("multi ReLU - central, MLP batch 32", ("mlp", "central"), ("mlp", "multi"), 32),
    ("multi ReLU - central, MLP batch 128", ("mlp", "central"), ("mlp", "multi"), 128),
    ("the paper's neuron - multi ReLU", ("mlp", "multi"), ("mlp", "paper"), PAPER_BATCH),
    ("a bias added to the paper's neuron", ("mlp", "paper"), ("mlp", "heaviside"), PAPER_BATCH),
    ("then ReLU for the step", ("mlp", "heaviside"), ("mlp", "relu_thresholds"), PAPER_BATCH),
    ("then thresholds fixed at 0 (the blog's neuron)", ("mlp", "relu_thresholds"), ("mlp", "multi"),
     PAPER_BATCH),
    ("CReLU (free A, B) - multi ReLU", ("mlp", "multi"), ("mlp", "crelu"), PAPER_BATCH),
    ("multi ReLU MLP - softmax regression", ("linear", "linear"), ("mlp", "multi"), PAPER_BATCH),
    ("central 784-87-10 - central 784-251-87-10", ("mlp", "central"), ("mlp1", "central"), PAPER_BATCH),
)


def _side_by_side_markdown(runs, summaries):
    """The study's paired differences, one row per question, the data sets side by side."""
    rows = [[what] + [_side_by_side_cell(runs, summaries, before, after, batch, dataset)
                      for dataset in DATASETS] for what, before, after, batch in SIDE_BY_SIDE]
    return ["## MNIST and MNIST-1D side by side", "",
            "Test accuracy after - before, paired by seed (mean and 95% interval), each neuron at its best "
            "init and rate; the claims test these with Holm's correction where a claim spans several.", "",
            markdown.table(["question"] + [DATA_NAMES[dataset] for dataset in DATASETS], rows), ""]


def _side_by_side_cell(runs, summaries, before, after, batch, dataset):
    pair = [best_of(summaries, architecture, kind, batch, dataset) for architecture, kind in (before, after)]
    if None in pair:
        return markdown.DASH
    pairs = paired_accuracies(runs, pair[0]["cell"], pair[1]["cell"])
    return _difference(stats.paired_test(*pairs, margin=0.0))


def _approximations_markdown(runs, summaries):
    """Per data set, the table of the blog's approximations of the paper's neuron, one at a time."""
    lines = []
    for dataset in DATASETS:
        steps = approximations(runs, summaries, dataset)
        rows = [["%s -> %s" % (LABELS[step["before"]["cell"].kind], LABELS[step["after"]["cell"].kind]),
                 step["change"], _accuracy(step["after"]), _difference(step["test"]),
                 markdown.p_value(step["test"]["t_p"]), markdown.p_value(step["holm_p"]),
                 markdown.wilcoxon(step["test"]),
                 "%d" % step["test"]["n"]] for step in steps]
        title = "## The blog's approximations one at a time: %s, MLP batch %d" % (DATA_NAMES[dataset],
                                                                                 PAPER_BATCH)
        header = ["step", "change", "test after", "after - before", "paired t-test p",
                  "Holm p (over the steps)", "Wilcoxon p", "seeds"]
        lines += [title, "", "From the paper's neuron to the blog's, one change per row; test accuracy after "
                  "the change, and after - before paired by seed.", "",
                  markdown.table(header, rows), ""] if rows else []
    return lines


def _cells_table(summaries):
    rows = [[data_label(summary["cell"]), NETWORKS[summary["cell"].architecture],
             LABELS[summary["cell"].kind], summary["cell"].init, "%d" % summary["cell"].batch_size,
             _epochs(summary), _rate(summary),
             markdown.number(summary["search_validation"]), _accuracy(summary), "%d" % summary["test"]["n"],
             "%d" % summary["diverged"], "%.0f" % summary["us_per_step"]] for summary in summaries]
    return markdown.table(["data", "network", "neuron", "init", "batch", "epochs: trained (best), cap",
                           "rate", "search validation", "test accuracy", "seeds", "diverged", "us/step"],
                          rows)


def _epochs(summary):
    """``14.2 (9.2), 30``: mean epochs trained (and best) over the final seeds, the cap, how many hit it."""
    capped = " (%d capped)" % summary["capped"] if summary["capped"] else ""
    return "%.1f (%.1f), %d%s" % (summary["epochs"], summary["best_epoch"], summary["cell"].n_epochs, capped)


def _beside_multi(summaries, kinds):
    """Each trained cell of ``kinds`` with the multi-threshold ReLU MLP at its best at that batch size and
    data set."""
    return [(summary, best_of(summaries, "mlp", "multi", summary["cell"].batch_size, summary["cell"].dataset))
            for summary in summaries if summary["cell"].kind in kinds and summary["test"]["n"]]


def _paper_markdown(summaries):
    """The paper's neurons against the multi-threshold ReLU MLP at the same batch size."""
    pairs = _beside_multi(summaries, PAPER_NEURONS)
    lines = ["## The paper's neuron and its relatives", ""]
    for summary, multi in pairs:
        gap = "" if multi is None else "; multi ReLU MLP at its best (%s init): %.4f, gap %+.4f" % (
            multi["cell"].init, multi["test"]["mean"], summary["test"]["mean"] - multi["test"]["mean"])
        lines.append("- %s, %s (MLP, batch %d): test %s at rate %s, epochs %s, %.0f us/step%s." % (
            DATA_NAMES[summary["cell"].dataset], LABELS[summary["cell"].kind], summary["cell"].batch_size,
            _accuracy(summary), _rate(summary), _epochs(summary), summary["us_per_step"], gap))
    return lines + [""] if pairs else []


def _linear_markdown(summaries):
    """Softmax regression against the multi-threshold MLP at the same batch size."""
    pairs = _beside_multi(summaries, ("linear",))
    lines = ["## A linear baseline: softmax regression", ""]
    for summary, multi in pairs:
        share = "" if multi is None else "; the multi ReLU MLP at its best: %.4f (linear gets %.1f%%)" % (
            multi["test"]["mean"], 100 * summary["test"]["mean"] / multi["test"]["mean"])
        lines.append("- %s, batch %d, %s init, epochs %s: test %s at rate %s%s." % (
            DATA_NAMES[summary["cell"].dataset], summary["cell"].batch_size, summary["cell"].init,
            _epochs(summary), _accuracy(summary), _rate(summary), share))
    return lines + [""] if pairs else []


def _check_markdown(check):
    """The init check's table: every hidden layer's mean and variance at initialisation."""
    rows = [[NETWORKS[one["architecture"]], LABELS[one["kind"]], one["init"], "%d" % (index + 1),
             "%.3g" % layer["mean"], "%.3g" % layer["variance"]]
            for one in check["checks"] for index, layer in enumerate(one["layers"])]
    return ["## The derived init on real activations", "",
            "Every hidden layer's outputs at initialisation on %d training images (over images and units) "
            "other than the 1,000 that set the `derived` layers; the derivation promises mean 0 and variance "
            "1 for the `derived` ReLU layers." % (
                check["checks"][0]["images"]), "",
            markdown.table(["network", "neuron", "init", "layer", "mean", "variance"], rows), ""]
