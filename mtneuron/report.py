"""Figures 2 and 3 and the table against the blog, all drawn from run records on disk."""

import datetime
import os
import warnings

import numpy as np
from matplotlib.figure import Figure

from mtneuron import records, stats
from mtneuron.files import atomic_path, write_text
from mtneuron.records import format_rate

# The blog's reported numbers (spec/original-facts.md): test accuracy, one run per cell,
# and the last point of each training curve (mean over the final 1,100 examples).
BLOG_TEST_ACCURACY = {
    ("central", 0.0005): 0.8571, ("central", 0.001): 0.8958,
    ("central", 0.005): 0.2554, ("central", 0.01): 0.1028,
    ("multi", 0.0005): 0.8757, ("multi", 0.001): 0.8879,
    ("multi", 0.005): 0.9085, ("multi", 0.01): 0.773,
}
BLOG_FINAL_TRAIN = {  # (accuracy, loss)
    ("central", 0.0005): (0.838, 0.64), ("central", 0.001): (0.907, 0.40),
    ("central", 0.005): (0.265, 2.15), ("central", 0.01): (0.099, 2.31),
    ("multi", 0.0005): (0.856, 106.4), ("multi", 0.001): (0.886, 34.3),
    ("multi", 0.005): (0.892, 0.51), ("multi", 0.01): (0.811, 1.02),
}
BLOG_SETTINGS = {"n_epochs": 4, "n_examples": 55000, "hidden_sizes": [251, 87],
                 "average_every": 1100, "test_examples": 10000}
AGREEMENT = 0.02  # test accuracies this close to the blog's count as agreeing
FAILED = 0.5  # a run below this test accuracy failed to train (chance is 0.1)
LABELS = {"central": "Central-threshold", "multi": "Multi-threshold"}
COLORS = {"central": "tab:blue", "multi": "tab:orange"}
CURVES_FIGURE = "accuracy_and_loss_curves.png"
BARS_FIGURE = "accuracy_vs_rate_and_type.png"
SUMMARY = "summary.md"
DPI = 100


def write_report(out_dir, reference_dirs=(), rates=None):
    """Write both figures and ``summary.md`` for the records in ``out_dir``; return their paths.

    summary.md also puts every run beside the same run in each of ``reference_dirs`` (another engine
    or TensorFlow); with ``rates``, only the runs at those learning rates count.
    """
    runs = [run for run in records.load_records(out_dir) if rates is None or run["learning_rate"] in rates]
    reference = load_references(reference_dirs)
    paths = [os.path.join(out_dir, name) for name in (CURVES_FIGURE, BARS_FIGURE, SUMMARY)]
    save_figure(curves_figure(runs), paths[0])
    save_figure(bars_figure(runs), paths[1])
    write_text(paths[2], summary_markdown(runs, reference))
    return paths


def learning_rates(runs):
    return sorted({run["learning_rate"] for run in runs})


def models(runs):
    return [model for model in LABELS if any(run["model"] == model for run in runs)]


def cell(runs, model, learning_rate):
    """The runs of ``model`` at ``learning_rate``, one per seed, sorted by seed."""
    return sorted((run for run in runs if run["model"] == model and run["learning_rate"] == learning_rate),
                  key=lambda run: run["seed"])


def seed_counts(runs):
    """The numbers of seeds per cell, as text: ``10`` or ``5-10``."""
    counts = sorted({len(cell(runs, model, rate)) for model in models(runs) for rate in learning_rates(runs)}
                    - {0})
    return "%d" % counts[0] if len(counts) == 1 else "%d-%d" % (counts[0], counts[-1])


def curve(values):
    """A recorded curve as floats, with JSON nulls (non-finite values) as NaN."""
    return np.array([np.nan if value is None else value for value in values], dtype=float)


def curve_band(curves):
    """Mean, min and max over seeds of recorded curves, point by point (runs that diverged stop early)."""
    values = np.full((len(curves), max(len(points) for points in curves)), np.nan)
    for row, points in enumerate(curves):
        values[row, :len(points)] = curve(points)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN points stay NaN
        return np.nanmean(values, axis=0), np.nanmin(values, axis=0), np.nanmax(values, axis=0)


def plot_band(axis, run, curves, model):
    """A model's mean over ``curves`` (dashed; x in epochs, scaled by ``run``) and, over several seeds,
    the band from the lowest to the highest seed."""
    mean, low, high = curve_band(curves)
    epochs = np.arange(1, len(mean) + 1) * run["average_every"] / run["n_examples"]
    axis.plot(epochs, mean, linestyle="--", color=COLORS[model], label=LABELS[model])
    if np.any(high > low):
        axis.fill_between(epochs, low, high, color=COLORS[model], alpha=0.2, linewidth=0)


def curves_figure(runs):
    """Figure 2: loss (log scale) over accuracy, one column per learning rate, x in epochs; over several
    seeds, the mean curve with a band from the lowest to the highest seed."""
    rates = learning_rates(runs)
    figure = Figure(figsize=(4 * len(rates), 7))
    axes = figure.subplots(2, len(rates), squeeze=False, sharex=True)
    for column, rate in enumerate(rates):
        for model in models(runs):
            cell_runs = cell(runs, model, rate)
            if not cell_runs:
                continue
            for row, key in enumerate(("losses", "accuracies")):
                plot_band(axes[row, column], cell_runs[0], [run[key] for run in cell_runs], model)
        axes[0, column].set_title("learning rate %s" % format_rate(rate))
        axes[0, column].set_yscale("log")
        axes[1, column].set_ylim(0, 1.01)
        axes[1, column].set_xlabel("epoch")
        n_epochs = max(run["n_epochs"] for run in runs)
        axes[1, column].set_xticks(range(n_epochs + 1))
    axes[0, 0].set_ylabel("cross-entropy loss")
    axes[1, 0].set_ylabel("accuracy")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower center", ncol=2, frameon=False)
    seeds = seed_counts(runs)
    figure.suptitle("Learning curves for loss and accuracy (means over every %d training examples)%s"
                    % (runs[0]["average_every"], "" if seeds == "1" else
                       "\nmean over %s seeds; band: lowest to highest seed" % seeds))
    figure.tight_layout(rect=(0, 0.05, 1, 0.95))
    return figure


def bars_figure(runs):
    """Figure 3: mean test accuracy as bars grouped by learning rate, labelled to 3 decimals; over
    several seeds, each seed as a dot and the 95% interval of the mean as an error bar; the blog's
    value as a black mark."""
    rates, kinds = learning_rates(runs), models(runs)
    figure = Figure(figsize=(max(8, 1.6 * len(rates)), 5))
    axis = figure.subplots()
    width = 0.8 / len(kinds)
    positions = np.arange(len(rates))
    blog_label = "blog (one run)"
    for index, model in enumerate(kinds):
        offsets = positions + (index - (len(kinds) - 1) / 2) * width
        summaries = [stats.describe([run["accuracy"] for run in cell(runs, model, rate)]) for rate in rates]
        heights = np.array([summary["mean"] for summary in summaries])
        errors = np.array([[summary["mean"] - summary["ci95"][0], summary["ci95"][1] - summary["mean"]]
                           for summary in summaries]).T
        bars = axis.bar(offsets, heights, width, label=LABELS[model], color=COLORS[model],
                        yerr=errors if np.isfinite(errors).any() else None, capsize=3)
        axis.bar_label(bars, labels=["" if np.isnan(h) else "%.3f" % h for h in heights], fontsize=8,
                       padding=2)
        for offset, rate in zip(offsets, rates):
            accuracies = [run["accuracy"] for run in cell(runs, model, rate)]
            if len(accuracies) > 1:
                axis.plot(np.full(len(accuracies), offset), accuracies, ".", color="0.3", markersize=3)
            if (model, rate) in BLOG_TEST_ACCURACY:
                axis.plot([offset], [BLOG_TEST_ACCURACY[(model, rate)]], "kx", markersize=9,
                          markeredgewidth=2, label=blog_label)
                blog_label = None
    axis.set_xticks(positions)
    axis.set_xticklabels([format_rate(rate) for rate in rates])
    axis.set_xlabel("learning rate")
    axis.set_ylabel("test accuracy")
    axis.set_ylim(0, 1.05)
    seeds = seed_counts(runs)
    axis.set_title("Test accuracy by learning rate and neuron type" + (
        "" if seeds == "1" else " (%s seeds: mean, 95%% CI, each seed)" % seeds))
    axis.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=len(kinds) + 1, frameon=False)
    figure.tight_layout()
    return figure


def save_figure(figure, path):
    """Save a figure as PNG atomically."""
    with atomic_path(path) as temporary:
        figure.savefig(temporary, dpi=DPI, format="png")


def comparison_rows(runs):
    """Per learning rate and model: the blog's test accuracy and the reproduced ones over seeds."""
    rows = []
    for rate in learning_rates(runs):
        for model in models(runs):
            cell_runs = cell(runs, model, rate)
            if not cell_runs:
                continue
            accuracies = [run["accuracy"] for run in cell_runs]
            summary = stats.describe(accuracies)
            blog = BLOG_TEST_ACCURACY.get((model, rate))
            rows.append({"learning_rate": rate, "model": model, "blog": blog, "summary": summary,
                         "reproduced": summary["mean"],
                         "difference": None if blog is None else summary["mean"] - blog,
                         "place": None if blog is None else stats.place(blog, accuracies),
                         "diverged": sum(run["diverged"] for run in cell_runs)})
    return rows


def differs_from_blog(runs):
    """Settings in which these runs differ from the blog's experiment, as ``key: value`` strings."""
    return sorted({"%s: %s" % (key, run[key]) for run in runs
                   for key, value in BLOG_SETTINGS.items() if run[key] != value})


def _cell(value, pattern="%.4f"):
    return "–" if value is None else pattern % value


def summary_markdown(runs, reference=()):
    """``summary.md``: the tables against the blog (and ``(directory, runs)`` references), provenance."""
    lines = ["# Reproduction of the blog's experiment", ""]
    changed = differs_from_blog(runs)
    if changed:
        lines += ["**Not the blog's configuration** (%s): compare with the blog's numbers with care."
                  % "; ".join(changed), ""]
    lines += ["## Test accuracy against the blog", "", test_accuracy_table(runs), "",
              "## Last point of the training curves", "",
              "Mean over the final %d training examples of each run." % runs[0]["average_every"], "",
              final_point_table(runs), "", "## What agrees and what does not", ""]
    lines += ["- " + finding for finding in reading(runs)]
    if reference:
        lines += [""] + reference_markdown(runs, reference)
    lines += ["", "## Runs", "", runs_table(runs), "", "## Provenance", ""]
    lines += ["- " + fact for fact in provenance(runs)]
    lines += ["", "Figures: `%s` (Figure 2) and `%s` (Figure 3)." % (CURVES_FIGURE, BARS_FIGURE), ""]
    return "\n".join(lines)


DEFAULT_REFERENCES = ("tf1.15/faithful", "faithful")  # the blog's loop on TF 1.15, then on this TensorFlow


def default_references(out_dir):
    """The directories of ``DEFAULT_REFERENCES`` under ``out_dir`` that exist."""
    paths = [os.path.join(out_dir, name) for name in DEFAULT_REFERENCES]
    return [path for path in paths if os.path.isdir(path)]


def load_references(directories):
    """``(directory, runs)`` of every reference directory."""
    return [(directory, records.load_records(directory)) for directory in directories]


def reference_markdown(runs, reference):
    """Markdown lines: every run beside the same run of each ``(directory, runs)`` reference, and findings."""
    lines = ["## Against the runs in %s" % ", ".join("`%s`" % directory for directory, _ in reference), "",
             "Same settings and seed, the same initial weights and data order. Engines and TensorFlows that "
             "agree to the last bits for a step or more still drift apart over 220,000 batch-1 steps from a "
             "std-1 initialisation (the training is chaotic), so single cells can differ by as much as two "
             "seeds do; whether engines differ systematically is a question for several seeds "
             "(`engine_equivalence.md`), where the two TensorFlows part one for `tf_agreement.md`.", "",
             reference_table(runs, [side for _, side in reference]), ""]
    for directory, reference_runs in reference:
        findings = reference_reading(runs, reference_runs)
        lines += ["- Against `%s`: %s" % (directory, finding) for finding in findings]
    return lines


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def test_accuracy_table(runs):
    """Markdown table: blog test accuracy, reproduced (mean over seeds) and difference per learning rate
    and model; over several seeds also sd, range, 95% interval and where the blog's number falls."""
    several = seed_counts(runs) != "1"
    header = ["learning rate", "model", "blog", "reproduced", "difference"]
    if several:
        header += ["seeds", "sd", "min - max", "95% CI", "the blog's number"]
    rows = []
    for row in comparison_rows(runs):
        summary = row["summary"]
        cells = [format_rate(row["learning_rate"]), LABELS[row["model"]], _cell(row["blog"]),
                 _cell(row["reproduced"]) + _diverged(row["diverged"], summary["n"]),
                 _cell(row["difference"], "%+.4f")]
        if several:
            cells += ["%d" % summary["n"], _cell(_finite(summary["sd"])),
                      "%.4f - %.4f" % (summary["min"], summary["max"]),
                      "–" if summary["n"] < 2 else "%.4f - %.4f" % summary["ci95"],
                      "–" if row["place"] is None else row["place"]["text"]]
        rows.append(cells)
    return _table(header, rows)


def _diverged(count, n):
    if not count:
        return ""
    return " (diverged)" if n == 1 else " (%d of %d diverged)" % (count, n)


def _finite(value):
    return None if value is None or not np.isfinite(value) else value


def final_point_table(runs):
    """Markdown table: the last point of each training curve (mean over seeds) against the blog's."""
    rows = []
    for row in comparison_rows(runs):
        cell_runs = cell(runs, row["model"], row["learning_rate"])
        blog_accuracy, blog_loss = BLOG_FINAL_TRAIN.get((row["model"], row["learning_rate"]), (None, None))
        rows.append([format_rate(row["learning_rate"]), LABELS[row["model"]],
                     _cell(blog_accuracy, "%.3f"), _cell(_last_mean(cell_runs, "accuracies"), "%.3f"),
                     _cell(blog_loss, "%.2f"), _cell(_last_mean(cell_runs, "losses"), "%.2f")])
    return _table(["learning rate", "model", "blog accuracy", "accuracy", "blog loss", "loss"], rows)


def _last_mean(cell_runs, key):
    """Mean over seeds of the last point of curve ``key`` (None when no run has a finite one)."""
    return _finite(stats.describe([_last(run[key]) for run in cell_runs])["mean"])


def _paired(runs, reference_runs):
    """``(run, reference run)`` for every run that has a reference run of the same cell and seed."""
    pairs = [(run, _same_run(reference_runs, run)) for run in runs]
    return [pair for pair in pairs if pair[1] is not None]


def reference_table(runs, references):
    """Markdown table: each run's test accuracy and last curve point beside the same run in every
    reference (lists of runs), references first, as ``a / b / these``."""
    rows = []
    for run in runs:
        sides = [_same_run(reference, run) for reference in references] + [run]
        if any(side is None for side in sides):
            continue
        rows.append([format_rate(run["learning_rate"]), LABELS[run["model"]], "%d" % run["seed"],
                     " / ".join(_setting(side) for side in sides),
                     " / ".join("%.4f" % side["accuracy"] for side in sides),
                     " / ".join("%.3f" % _last(side["accuracies"]) for side in sides),
                     " / ".join("%.2f" % _last(side["losses"]) for side in sides)])
    return _table(["learning rate", "model", "seed", "engine, TensorFlow", "test accuracy",
                   "last train accuracy", "last train loss"], rows)


def _setting(run):
    """A run's engine and TensorFlow, e.g. ``faithful, TF 1.15.5`` (the engine alone if not recorded)."""
    version = run.get("tensorflow_version")
    return run["engine"] if version is None else "%s, TF %s" % (run["engine"], version)


def _same_run(reference_runs, run):
    """The run of ``reference_runs`` with ``run``'s model, learning rate and seed, or None."""
    return next((other for other in cell(reference_runs, run["model"], run["learning_rate"])
                 if other["seed"] == run["seed"]), None)


def reference_reading(runs, reference_runs):
    """Findings in words against the reference runs: close cells, failures, better models, speed."""
    pairs = _paired(runs, reference_runs)
    if not pairs:
        return []
    sides = list(zip(*pairs))  # (these runs, their reference runs), in the same order
    engines = ["/".join(sorted({_setting(run) for run in side})) for side in sides]
    differences = [run["accuracy"] - other["accuracy"] for run, other in pairs]
    largest = max(range(len(pairs)), key=lambda index: abs(differences[index]))
    findings = ["%d of %d test accuracies are within %.2f of the %s run's; mean absolute difference %.4f, "
                "largest %+.4f (%s)." % (
                    sum(abs(difference) <= AGREEMENT for difference in differences), len(pairs), AGREEMENT,
                    engines[1], float(np.mean(np.abs(differences))), differences[largest],
                    _cells([pairs[largest][0]]))]
    failed = [_cells(run for run in side if run["accuracy"] < FAILED) for side in sides]
    findings.append("Runs that failed to train: %s here, %s with %s: %s." % (
        failed[0], failed[1], engines[1], "agrees" if failed[0] == failed[1] else "differs"))
    winners = [_better_models(side) for side in sides]
    if winners[0]:
        findings.append("The better model at a learning rate is the same in %d of %d rates." % (
            sum(winners[0][rate] == winners[1][rate] for rate in winners[0]), len(winners[0])))
    minutes = [_sweep_seconds(side) / 60 for side in sides]
    findings.append("These runs took %.1f min of wall time (%s), the reference runs %.1f min (%s): "
                    "%.1fx faster." % (minutes[0], engines[0], minutes[1], engines[1],
                                       minutes[1] / minutes[0]))
    return findings


def _better_models(runs):
    """Per learning rate with both models among ``runs``: the model of higher test accuracy."""
    better = {}
    for rate in {run["learning_rate"] for run in runs}:
        accuracies = {run["model"]: run["accuracy"] for run in runs if run["learning_rate"] == rate}
        if len(accuracies) == 2:
            better[rate] = max(accuracies, key=accuracies.get)
    return better


def _sweep_seconds(runs):
    """Seconds from the first run's start to the last run's end."""
    return max(run["finished_at"] for run in runs) - min(run["started_at"] for run in runs)


def runs_table(runs):
    """Markdown table: engine, steps, divergence and speed of every run."""
    return _table(
        ["run", "engine", "steps", "diverged", "wall time (s)", "examples/s"],
        [[records.spec_of(run).filename, run["engine"], "%d" % run["steps"],
          "yes" if run["diverged"] else "no", "%.0f" % run["wall_time_s"],
          "%.0f" % run["examples_per_second"]] for run in runs])


def reading(runs):
    """Findings in words, computed from the records: where the reproduction agrees with the blog."""
    rows = [row for row in comparison_rows(runs) if row["blog"] is not None]
    if not rows:
        return ["None of these learning rates is one of the blog's, so there is nothing to compare."]
    close = [row for row in rows if abs(row["difference"]) <= AGREEMENT]
    seeds = seed_counts(runs)
    if seeds == "1":
        spread = "Each cell is one run, as in the blog, so seed-to-seed spread is not measured here."
    else:
        inside = [row for row in rows if row["summary"]["min"] <= row["blog"] <= row["summary"]["max"]]
        spread = ("Each reproduced number is the mean of %s seeds; the blog's single run lies within the "
                  "range of the seeds in %d of %d cells." % (seeds, len(inside), len(rows)))
    findings = ["%d of %d test accuracies are within %.2f of the blog's; the largest difference is "
                "%+.4f (%s at %s). %s" % (
                    len(close), len(rows), AGREEMENT, *_largest_difference(rows), spread)]
    for rate in sorted({row["learning_rate"] for row in rows}):
        pair = {row["model"]: row for row in rows if row["learning_rate"] == rate}
        if len(pair) < 2:
            continue
        blog_winner = max(pair, key=lambda model: pair[model]["blog"])
        winner = max(pair, key=lambda model: pair[model]["reproduced"])
        findings.append("At learning rate %s the blog's better model was %s (%.4f vs %.4f); here it "
                        "is %s (%.4f vs %.4f): %s." % (
                            format_rate(rate), LABELS[blog_winner], pair[blog_winner]["blog"],
                            pair[_other(blog_winner)]["blog"], LABELS[winner],
                            pair[winner]["reproduced"], pair[_other(winner)]["reproduced"],
                            "agrees" if winner == blog_winner else "disagrees"))
    failed_blog = _cells(row for row in rows if row["blog"] < FAILED)
    failed_here = _cells(row for row in rows if row["reproduced"] < FAILED)
    findings.append("Runs that failed to train (test accuracy below %.1f; chance is 0.1): in the blog "
                    "%s; here %s: %s." % (FAILED, failed_blog, failed_here,
                                          "agrees" if failed_blog == failed_here else "differs"))
    return findings


def _cells(rows):
    cells = ["%s at %s" % (LABELS[row["model"]], format_rate(row["learning_rate"])) for row in rows]
    return ", ".join(cells) or "none"


def _largest_difference(rows):
    row = max(rows, key=lambda row: abs(row["difference"]))
    return row["difference"], LABELS[row["model"]], format_rate(row["learning_rate"])


def _other(model):
    return "multi" if model == "central" else "central"


def _last(values):
    return values[-1] if values else None


def provenance(runs):
    """Command, versions, machine and wall time, as read from the records."""
    started = min(run["started_at"] for run in runs)
    finished = max(run["finished_at"] for run in runs)
    facts = []
    for command in sorted({run.get("command", "(not recorded)") for run in runs}):
        facts.append("command: `%s`" % command)
    for key, name in (("engine", "engine"), ("onednn", "TF_ENABLE_ONEDNN_OPTS"), ("xla_flags", "XLA_FLAGS"),
                      ("tensorflow_version", "TensorFlow"),
                      ("python_version", "Python"), ("numpy_version", "numpy"), ("platform", "platform"),
                      ("cpu_count", "CPU cores")):
        facts.append("%s: %s" % (name, ", ".join(sorted({str(run.get(key, "–")) for run in runs}))))
    facts.append("runs: %d, from %s to %s UTC" % (len(runs), _utc(started), _utc(finished)))
    facts.append("sweep wall time: %.1f min (first run started to last run finished); "
                 "compute time summed over runs: %.1f min"
                 % (_sweep_seconds(runs) / 60, sum(run["wall_time_s"] for run in runs) / 60))
    return facts


def _utc(timestamp):
    return datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")


PART2_CURVES_FIGURE = "learning_curves.png"
LINEARITY_CHECK = "nonnegative_check.json"
KIND_STYLES = {"central": "tab:blue", "multi": "tab:orange"}
INIT_STYLES = {"blog": ":", "scaled": "-"}


def write_part2_report(out_dir):
    """Write the part-II learning-curve figure and ``summary.md`` for the records in ``out_dir``."""
    runs = records.load_records(out_dir)
    paths = [os.path.join(out_dir, name) for name in (PART2_CURVES_FIGURE, SUMMARY)]
    save_figure(part2_curves_figure(runs), paths[0])
    check = records.read_json(os.path.join(out_dir, LINEARITY_CHECK))
    write_text(paths[1], part2_summary_markdown(runs, check))
    return paths


def part2_curves_figure(runs):
    """Training accuracy (mean of every 1,100 examples) per architecture (rows) and batch size (columns)."""
    architectures = sorted({run["architecture"] for run in runs})
    batches = sorted({run["batch_size"] for run in runs})
    figure = Figure(figsize=(4 * len(batches), 3.5 * len(architectures) + 0.8))
    axes = figure.subplots(len(architectures), len(batches), squeeze=False, sharey=True)
    for row, architecture in enumerate(architectures):
        for column, batch in enumerate(batches):
            axis = axes[row, column]
            for run in runs:
                if (run["architecture"], run["batch_size"]) != (architecture, batch):
                    continue
                epochs = (np.arange(1, len(run["accuracies"]) + 1) * run["examples_per_point"]
                          / (run["n_examples"] // run["batch_size"] * run["batch_size"]))
                axis.plot(epochs, curve(run["accuracies"]), color=KIND_STYLES[run["kind"]],
                          linestyle=INIT_STYLES[run["init"]],
                          label="%s, %s init" % (LABELS[run["kind"]], run["init"]))
            axis.set_title("%s, batch size %d" % (architecture.upper(), batch))
            axis.set_ylim(0, 1.01)
            axis.set_xlabel("epoch")
        axes[row, 0].set_ylabel("training accuracy")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower center", ncol=4, frameon=False)
    figure.suptitle("Part II: minibatch training (means over every 1,100 training examples)")
    figure.tight_layout(rect=(0, 0.06, 1, 0.96))
    return figure


def part2_summary_markdown(runs, check=None):
    """``summary.md`` of part II: validation and test accuracy of every run, the linearity check."""
    rows = [[run["architecture"].upper(), LABELS[run["kind"]], run["init"], "%d" % run["batch_size"],
             "%.4f" % run["validation_accuracy"], "%.4f" % run["accuracy"],
             "yes" if run["diverged"] else "no", "%.0f" % run["wall_time_s"],
             "%.0f" % run["examples_per_second"]]
            for run in sorted(runs, key=lambda r: (r["architecture"], r["batch_size"], r["init"], r["kind"]))]
    lines = ["# Part II: minibatch multi-threshold networks", "",
             "MLP 784-251-87-10 and a CNN (two 5x5 convolutions of 16 and 32 filters, each followed by "
             "2x2 max pooling, then a linear output layer), with multi- or central-threshold hidden "
             "layers; Adam (learning rate %s), %d epoch(s) of %d training examples (of the 55,000), "
             "validation on the 5,000 held out after every epoch, test on the 10,000 test images. "
             "`blog` init: every kernel and bias N(0, 1) as in the blog; `scaled`: He (hidden) and "
             "Glorot (output) kernels, zero biases." % (
                 ", ".join(sorted({format_rate(run["learning_rate"]) for run in runs})),
                 max(run["n_epochs"] for run in runs), max(run["n_examples"] for run in runs)), "",
             _table(["network", "hidden layers", "init", "batch", "validation", "test", "diverged",
                     "wall time (s)", "examples/s"], rows), "",
             "Figure: `%s`." % PART2_CURVES_FIGURE, ""]
    if check is not None:
        lines += ["## A multi-threshold layer on pixels is linear", "",
                  "For inputs x >= 0, sum_i relu(W_ji x_i) = sum_i relu(W_ji) x_i: the blog's first "
                  "multi-threshold layer is the linear map relu(W) x + b with non-negative weights. "
                  "Measured on %d random pairs of test images x, y and weights a, b in [0, 1) with the "
                  "blog's initial weights: the largest relative deviation of f(ax + by) - b from "
                  "a (f(x) - b) + b (f(y) - b) is %.2g for the multi-threshold layer and %.2g for the "
                  "central-threshold (ReLU) layer; the multi-threshold layer differs from relu(W) x + b "
                  "by at most %.2g (relative; float32 rounding)." % (
                      check["pairs"], check["multi_additivity"], check["central_additivity"],
                      check["multi_vs_relu_w_x"]), ""]
    lines += ["## Provenance", ""]
    lines += ["- " + fact for fact in provenance(runs)]
    return "\n".join(lines) + "\n"
