"""The claims study's figures: test accuracy over the rate grid, the weights that never moved, and each
measurement family during training."""

import numpy as np
from matplotlib.figure import Figure

from mtneuron import blog
from mtneuron.blog import COLORS, LABELS
from mtneuron.blog_runs import cell, learning_rates, models, seed_counts
from mtneuron.run import stats
from mtneuron.run.records import format_rate
from mtneuron.studies.claims.measurements import measured, measurement_names, values_text
from mtneuron.studies.reproduction.figures import plot_band
from mtneuron.studies.reproduction.report import FAILED

OWN, COMPARISON = "claims", "comparison"  # where a claim's figure is: the claims study's or the comparison's
GRID_FIGURE = "test_accuracy_vs_learning_rate.png"
FROZEN_FIGURE = "weights_frozen.png"  # the weights that never moved
FROZEN_LABELS = {"weights_unchanged": "never changed", "weights_frozen": "can never change"}


def figure_name(family):
    return "measurement_%s.png" % family


def grid_figure(runs):
    """Test accuracy and train-test gap against the learning rate: mean line, min-max band, each seed."""
    figure = Figure(figsize=(11, 4.5))
    axes = figure.subplots(1, 2)
    for axis, (key, label) in zip(axes, (("accuracy", "test accuracy"),
                                         ("train_test_gap", "training minus test accuracy"))):
        for model in models(runs):
            rates = [rate for rate in learning_rates(runs) if cell(runs, model, rate)]
            summaries = [stats.describe([run.get(key) for run in cell(runs, model, rate)])
                         for rate in rates]
            axis.plot(rates, [s["mean"] for s in summaries], "o-", color=COLORS[model], label=LABELS[model])
            axis.fill_between(rates, [s["min"] for s in summaries], [s["max"] for s in summaries],
                              color=COLORS[model], alpha=0.2, linewidth=0)
            for rate in rates:
                values = [run.get(key) for run in cell(runs, model, rate)]
                axis.plot([rate] * len(values), values, ".", color=COLORS[model], markersize=3, alpha=0.6)
        axis.set_xscale("log")
        axis.set_xlabel("learning rate")
        axis.set_ylabel(label)
    axes[0].set_ylim(0, 1.01)
    axes[0].axhline(FAILED, color="0.6", linewidth=0.8, linestyle=":")
    axes[0].legend(loc="lower left", frameon=False)
    figure.suptitle("Test accuracy and overfitting over learning rates (%s seeds; line: mean, band: lowest "
                    "to highest seed, dots: seeds)" % seed_counts(runs))
    figure.tight_layout(rect=(0, 0, 1, 0.94))
    return figure


def frozen_figure(runs):
    """Per weight matrix and blog learning rate, the fraction of entries still at their initial values
    after training (bars) and the fraction no step could change (hatched), both models, seeds as dots."""
    runs = [run for run in runs if "weights_frozen" in run and run["learning_rate"] in blog.LEARNING_RATES]
    names = sorted(runs[0]["weights_frozen"])
    rates = learning_rates(runs)
    figure = Figure(figsize=(4.2 * len(names), 4.2))
    axes = figure.subplots(1, len(names), squeeze=False, sharey=True)[0]
    series = [(model, key, hatch) for model in models(runs)
              for key, hatch in (("weights_unchanged", ""), ("weights_frozen", "//"))]
    for axis, name in zip(axes, names):
        for offset, (model, key, hatch) in enumerate(series):
            for index, rate in enumerate(rates):
                values = [run[key][name] for run in cell(runs, model, rate)]
                position = index + (offset - (len(series) - 1) / 2) * 0.2
                axis.bar(position, np.mean(values), 0.18, color=COLORS[model], alpha=0.45 if hatch else 0.9,
                         hatch=hatch, edgecolor="k", linewidth=0.5,
                         label=None if index else "%s, %s" % (LABELS[model], FROZEN_LABELS[key]))
                axis.plot([position] * len(values), values, "k.", markersize=2)
        axis.set_xticks(range(len(rates)))
        axis.set_xticklabels([format_rate(rate) for rate in rates])
        axis.set_xlabel("learning rate")
        axis.set_title(name)
    axes[0].set_ylabel("fraction of the matrix")
    axes[0].set_ylim(0, 1)
    axes[0].legend(fontsize=8, loc="upper right", frameon=False)
    figure.suptitle("Weights that never moved from their initial values, and weights no step could move, "
                    "after %s epochs (%s seeds)" % (values_text(runs, "n_epochs"), seed_counts(runs)))
    figure.tight_layout(rect=(0, 0, 1, 0.93))
    return figure


def measurement_figure(runs, family, description):
    """One measurement family during training: a row per layer, a column per blog learning rate, both
    models in each panel (mean over seeds, band from lowest to highest seed)."""
    runs = measured(runs)
    names = measurement_names(runs, family)
    rates = [rate for rate in learning_rates(runs) if rate in blog.LEARNING_RATES]
    rates = rates or learning_rates(runs)
    figure = Figure(figsize=(3.6 * len(rates), 2.8 * len(names) + 1))
    axes = figure.subplots(len(names), len(rates), squeeze=False, sharex=True, sharey="row")
    for row, name in enumerate(names):
        for column, rate in enumerate(rates):
            _measurement_panel(axes[row, column], runs, name, rate)
        axes[row, 0].set_ylabel("fraction")
    for axis in axes[-1]:
        axis.set_xlabel("epoch")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower center", ncol=2, frameon=False)
    figure.suptitle("%s during training (means over every %d examples; %s seeds)"
                    % (description.capitalize(), runs[0]["average_every"], seed_counts(runs)))
    figure.tight_layout(rect=(0, 0.05, 1, 0.95))
    return figure


def _measurement_panel(axis, runs, name, rate):
    """Measurement ``name`` of both models at ``rate`` over training, one band per model."""
    for model in models(runs):
        cell_runs = [run for run in cell(runs, model, rate) if name in run["measurements"]]
        if cell_runs:
            plot_band(axis, cell_runs[0], [run["measurements"][name] for run in cell_runs], model)
    axis.set_title("%s, learning rate %s" % (name, format_rate(rate)), fontsize=9)
    axis.set_ylim(-0.02, 1.02)
