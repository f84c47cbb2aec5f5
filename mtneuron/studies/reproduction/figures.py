"""Figures 2 and 3 of the blog, redrawn from run records: the curves of every cell, and test accuracy
against the learning rate and the neuron, with the blog's own numbers marked."""

import os

import numpy as np
from matplotlib.figure import Figure

from mtneuron import blog
from mtneuron.blog import COLORS, LABELS
from mtneuron.blog_runs import RunSpec, cell, learning_rates, models, seed_counts
from mtneuron.run import stats
from mtneuron.run.records import curve_band, format_rate, spec_of
from mtneuron.run.sweep import weights_path

CURVES_FIGURE = "accuracy_and_loss_curves.png"
BARS_FIGURE = "accuracy_vs_rate_and_type.png"
BLOG_MARK = "blog (one run)"
FIRST_LAYERS_FIGURE = "first_layers.png"
UNITS_SHOWN = 12
CLIP_PERCENTILE = 90  # colours saturate there: never-lit border pixels keep their weights' N(0, 1) draws


def curves_figure(runs):
    """Figure 2: loss (log scale) over accuracy, one column per learning rate, x in epochs; over several
    seeds, the mean curve with a band from the lowest to the highest seed."""
    rates = learning_rates(runs)
    figure = Figure(figsize=(4 * len(rates), 7))
    axes = figure.subplots(2, len(rates), squeeze=False, sharex=True)
    n_epochs = max(run["n_epochs"] for run in runs)
    for column, rate in enumerate(rates):
        for model in models(runs):
            _plot_cell_curves(axes[:, column], cell(runs, model, rate), model)
        axes[0, column].set_title("learning rate %s" % format_rate(rate))
        axes[0, column].set_yscale("log")
        axes[1, column].set_ylim(0, 1.01)
        axes[1, column].set_xlabel("epoch")
        axes[1, column].set_xticks(range(n_epochs + 1))
    axes[0, 0].set_ylabel("cross-entropy loss")
    axes[1, 0].set_ylabel("accuracy")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower center", ncol=2, frameon=False)
    seeds = seed_counts(runs)
    figure.suptitle("%s (means over every %d training examples)%s" % (
        blog.CURVES_TITLE, runs[0]["average_every"],
        "" if seeds == "1" else "\nmean over %s seeds; band: lowest to highest seed" % seeds))
    figure.tight_layout(rect=(0, 0.05, 1, 0.95))
    return figure


def _plot_cell_curves(column_axes, cell_runs, model):
    """A cell's loss curves on the upper and accuracy curves on the lower of ``column_axes``."""
    if cell_runs:
        for axis, key in zip(column_axes, ("losses", "accuracies")):
            plot_band(axis, cell_runs[0], [run[key] for run in cell_runs], model)


def plot_band(axis, run, curves, model):
    """A model's mean over ``curves`` (dashed; x in epochs, scaled by ``run``) and, over several seeds,
    the band from the lowest to the highest seed."""
    mean, low, high = curve_band(curves)
    epochs = np.arange(1, len(mean) + 1) * run["average_every"] / run["n_examples"]
    axis.plot(epochs, mean, linestyle="--", color=COLORS[model], label=LABELS[model])
    if np.any(high > low):
        axis.fill_between(epochs, low, high, color=COLORS[model], alpha=0.2, linewidth=0)


def bars_figure(runs):
    """Figure 3: mean test accuracy as bars grouped by learning rate, labelled inside to 3 decimals; over
    several seeds, each seed as a dot and the 95% interval of the mean as an error bar; the blog's
    value as a black mark."""
    rates, kinds = learning_rates(runs), models(runs)
    figure = Figure(figsize=(max(8, 1.6 * len(rates)), 5))
    axis = figure.subplots()
    width = 0.8 / len(kinds)
    positions = np.arange(len(rates))
    for index, model in enumerate(kinds):
        offsets = positions + (index - (len(kinds) - 1) / 2) * width
        cells = [cell(runs, model, rate) for rate in rates]
        _bars(axis, offsets, width, cells, model)
        _seeds_and_blog_marks(axis, offsets, cells, model, rates)
    axis.set_xticks(positions)
    axis.set_xticklabels([format_rate(rate) for rate in rates])
    axis.set_xlabel("learning rate")
    axis.set_ylabel("test accuracy")
    axis.set_ylim(0, 1.05)
    seeds = seed_counts(runs)
    several = "" if seeds == "1" else " (%s seeds: mean, 95%% CI, each seed)" % seeds
    axis.set_title(blog.BARS_TITLE + several)
    axis.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=len(kinds) + 1, frameon=False)
    figure.tight_layout()
    return figure


def _bars(axis, offsets, width, cells, model):
    """A model's mean test accuracy per cell as labelled bars, with the 95% interval where there is one."""
    summaries = [stats.describe([run["accuracy"] for run in cell_runs]) for cell_runs in cells]
    heights = np.array([summary["mean"] for summary in summaries])
    errors = np.array([[summary["mean"] - summary["ci95"][0], summary["ci95"][1] - summary["mean"]]
                       for summary in summaries]).T
    bars = axis.bar(offsets, heights, width, label=LABELS[model], color=COLORS[model],
                    yerr=errors if np.isfinite(errors).any() else None, capsize=3)
    axis.bar_label(bars, labels=["" if np.isnan(h) else "%.3f" % h for h in heights], label_type="center",
                   fontsize=9, color="white", fontweight="bold")  # inside the bar: clear of the blog's marks


def _seeds_and_blog_marks(axis, offsets, cells, model, rates):
    """Each seed's test accuracy as a dot (over several seeds) and the blog's as a cross, labelled once."""
    for offset, cell_runs, rate in zip(offsets, cells, rates):
        accuracies = [run["accuracy"] for run in cell_runs]
        if len(accuracies) > 1:
            axis.plot(np.full(len(accuracies), offset), accuracies, ".", color="0.3", markersize=3)
        if (model, rate) in blog.TEST_ACCURACY:
            labelled = BLOG_MARK in axis.get_legend_handles_labels()[1]
            axis.plot([offset], [blog.TEST_ACCURACY[(model, rate)]], "kx", markersize=9, markeredgewidth=2,
                      label=None if labelled else BLOG_MARK)


# summary.md: the tables and findings against the blog.


def blog_best(model):
    """The learning rate at which the blog reports ``model``'s best test accuracy."""
    return max(blog.LEARNING_RATES, key=lambda rate: blog.TEST_ACCURACY[model, rate])


def first_layer_images(weights_path, model):
    """Each hidden unit's view of the pixels as a 28x28 image, from a run's kept parameters: central's
    column ``W_01[:, j]``; multi's ``relu(W_01[j])``, its whole first layer on pixels (``relu(W) x``)."""
    with np.load(weights_path) as arrays:
        weights = arrays["W_01"]
    per_unit = weights.T if model == "central" else np.maximum(weights, 0)
    return per_unit.reshape((-1,) + blog.IMAGE_SHAPE)


def first_layers_figure(directory, runs):
    """The first ``UNITS_SHOWN`` hidden units of each model at the blog's best rate for it, one row each
    (None where a run or its kept parameters are missing)."""
    chosen = [(model, next((run for run in cell(runs, model, blog_best(model)) if run["seed"] == blog.SEED),
                           None)) for model in blog.MODELS]
    if any(run is None for _, run in chosen):
        return None
    paths = [weights_path(directory, spec_of(run, RunSpec)) for _, run in chosen]
    if not all(map(os.path.exists, paths)):
        return None
    figure = Figure(figsize=(1.3 * UNITS_SHOWN, 3.2))
    axes = figure.subplots(2, UNITS_SHOWN)
    for row, ((model, run), path) in enumerate(zip(chosen, paths)):
        for axis, image in zip(axes[row], first_layer_images(path, model)):
            limit = np.percentile(np.abs(image), CLIP_PERCENTILE) or 1.0
            axis.imshow(image, cmap="RdBu_r" if model == "central" else "Oranges",
                        vmin=-limit if model == "central" else 0, vmax=limit)
            axis.set_xticks([])
            axis.set_yticks([])
        axes[row, 0].set_ylabel("%s\nrate %s\ntest %.3f" % (
            "central W" if model == "central" else "multi relu(W)", format_rate(run["learning_rate"]),
            run["accuracy"]), fontsize=8)
    figure.suptitle("First hidden layer per unit, as 28x28 images (seed %d; units 1-%d): central's weights "
                    "(red +, blue -), multi-threshold's relu(W), its linear map on pixels; colours saturate "
                    "at each image's %dth percentile of |w|\n(border pixels are never lit: their weights "
                    "never move from their N(0, 1) draws)" % (blog.SEED, UNITS_SHOWN, CLIP_PERCENTILE),
                    fontsize=9)
    figure.tight_layout(rect=(0, 0, 1, 0.86))
    return figure
