"""The comparison's two figures: the learning-rate search of every cell, and every final seed's test
accuracy."""

from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from mtneuron import blog
from mtneuron.run import records
from mtneuron.studies.comparison.config import DATASETS, LABELS, NETWORKS, PAPER_NEURONS, data_label
from mtneuron.studies.comparison.runs import (
    all_cells,
    cell_summary,
    chosen_rate,
    extends,
    final_runs,
    search_runs,
    superseded,
    validation_of,
)

RATE_FIGURE = "validation_vs_rate.png"
TEST_FIGURE = "test_accuracy.png"
GROUP_ORDER = ("MLP", "MLP (the paper's neurons)", "MLP 784-87-10", "CNN", "Linear")  # see _group
COLORS = {"central": blog.COLORS["central"], "multi": blog.COLORS["multi"], "crelu": "tab:olive",
          "paper": "tab:red", "heaviside": "tab:green", "sigmoid": "tab:purple",
          "relu_thresholds": "tab:brown", "linear": "tab:gray"}
MARKERS = {"blog": "s", "scaled": "o", "derived": "D", "positive": "^"}
LINES = {"blog": ":", "scaled": "--", "derived": "-", "positive": "-."}


def _network(cell):
    """``MLP (the paper's neurons)``: the kind of network of a cell (one of ``GROUP_ORDER``)."""
    return NETWORKS[cell.architecture] + (" (the paper's neurons)" if cell.kind in PAPER_NEURONS else "")


def _group(cell):
    """``MNIST: MLP (the paper's neurons)``: the data (centred or not) and the kind of network of a cell."""
    return "%s: %s" % (data_label(cell), _network(cell))


def _panels(runs):
    """One panel per group of cells (``_group``) and batch size, in the report's order."""
    order = {(_group(cell), cell.batch_size): (DATASETS.index(cell.dataset), cell.centred,
                                               GROUP_ORDER.index(_network(cell)), cell.batch_size)
             for cell in all_cells(runs)}
    return sorted(order, key=order.get)


def rate_figure(runs):
    """Validation error of every search against the learning rate (log-log): colour is the neuron, line
    the init; the chosen rate circled, the final seeds' test errors as crosses at it."""
    panels = _panels(runs)
    columns = min(3, len(panels))
    rows = (len(panels) + columns - 1) // columns
    figure = Figure(figsize=(4.8 * columns, 3.6 * rows + 1.2))
    axes = figure.subplots(rows, columns, squeeze=False, sharey=True).ravel()
    cells = all_cells(runs)
    for axis, (group, batch) in zip(axes, panels):
        for cell in cells:  # a cell trained again longer: its search once, the longer finals at its rate
            if (_group(cell), cell.batch_size) == (group, batch) and not superseded(cell, cells):
                _plot_search(axis, runs, cell)
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_title("%s, batch size %d" % (group, batch), fontsize=10)
        axis.set_xlabel("learning rate")
        axis.grid(True, which="major", color="0.9")
    for axis in axes[len(panels):]:
        axis.set_visible(False)
    for axis in axes[::columns]:
        axis.set_ylabel("error (1 - accuracy)")
    figure.legend(handles=_legend_handles(runs), loc="lower center", ncol=5, fontsize=8, frameon=False)
    figure.suptitle("Learning-rate search: validation error of the search's seed (lines), the chosen rate "
                    "(circled), every seed's test error there (x)")
    figure.tight_layout(rect=(0, 0.6 / (3.6 * rows + 1.2), 1, 0.95))
    return figure


def _legend_handles(runs):
    """A colour per neuron and a line per init of the cells in ``runs``."""
    cells = all_cells(runs)
    kinds = [kind for kind in LABELS if any(cell.kind == kind for cell in cells)]
    inits = [init for init in LINES if any(cell.init == init for cell in cells)]
    return ([Line2D([], [], color=COLORS[kind], linewidth=3, label=LABELS[kind]) for kind in kinds] +
            [Line2D([], [], color="k", linestyle=LINES[init], marker=MARKERS[init], markersize=4,
                    label="%s init" % init) for init in inits])


def _plot_search(axis, runs, cell):
    """One cell's search line, its chosen rate circled, and its final seeds' test errors."""
    color, marker = COLORS[cell.kind], MARKERS[cell.init]
    searched = search_runs(runs, cell)
    axis.plot([run["learning_rate"] for run in searched], [_error(validation_of(run)) for run in searched],
              LINES[cell.init], marker=marker, color=color, markersize=3.5, linewidth=1.2)
    rate, validation = chosen_rate(runs, cell)
    if rate is not None:
        axis.plot([rate], [_error(validation)], "o", markersize=11, markerfacecolor="none", color=color)
    final = final_runs(runs, cell)
    axis.plot([run["learning_rate"] for run in final], [_error(run["accuracy"]) for run in final], "x",
              color=color, markersize=5)


def _error(accuracy):
    """1 - accuracy, kept off zero for a log axis."""
    return max(1.0 - accuracy, 1e-4)


def test_figure(runs):
    """The test accuracy of every final seed per cell (a row each, grouped by network and batch size), with
    the mean and its 95% interval; colour is the neuron, marker the init."""
    cells = all_cells(runs)
    summaries = [cell_summary(runs, cell) for cell in cells]
    figure = Figure(figsize=(9.5, 0.3 * len(summaries) + 1.6))
    axis = figure.subplots()
    for row, summary in enumerate(summaries):
        cell = summary["cell"]
        final = final_runs(runs, cell)
        axis.plot([run["accuracy"] for run in final], [row] * len(final), MARKERS[cell.init],
                  color=COLORS[cell.kind], alpha=0.55, markersize=5)
        if summary["test"]["n"] > 1:
            low, high = summary["test"]["ci95"]
            axis.plot([low, high], [row, row], "-", color="k", linewidth=1.5)
            axis.plot([summary["test"]["mean"]], [row], "|", color="k", markersize=12)
        if row and _panel(cell) != _panel(summaries[row - 1]["cell"]):
            axis.axhline(row - 0.5, color="0.75", linewidth=0.8)
    axis.set_yticks(range(len(summaries)))
    axis.set_yticklabels([_row_label(summary, cells) for summary in summaries], fontsize=8)
    axis.invert_yaxis()
    axis.grid(True, axis="x", color="0.9")
    axis.set_xlabel("test accuracy")
    axis.set_title("Test accuracy at each cell's chosen rate:\nseeds, mean (|), 95% interval (line)",
                   fontsize=10)
    figure.tight_layout()
    return figure


def _row_label(summary, cells):
    """``MNIST MLP b128: multi ReLU, derived (rate 0.001)``, with the cap where the cell trained longer."""
    cell = summary["cell"]
    cap = ", %d epochs" % cell.n_epochs if superseded(cell, cells) or extends(cell, cells) else ""
    return "%s %s b%d: %s, %s (rate %s%s)" % (
        data_label(cell), NETWORKS[cell.architecture], cell.batch_size, LABELS[cell.kind], cell.init,
        records.format_rate(summary["rate"]), cap)


def _panel(cell):
    """The rows a line separates in the test figure: one data set, network and batch size."""
    return data_label(cell), cell.architecture, cell.batch_size
