"""The blog reproduction's report: ``summary.md`` (test accuracy against the blog per cell, the
final points, the reading, every run beside the same run on another engine or TensorFlow) and both
figures."""

import os

import numpy as np

from mtneuron import blog, blog_runs
from mtneuron.blog import LABELS
from mtneuron.blog_runs import cell, learning_rates, models, same_run, seed_counts
from mtneuron.run import records, stats
from mtneuron.run.files import save_figure, write_text
from mtneuron.run.markdown import DASH, bullets, number, provenance, sweep_seconds, table
from mtneuron.run.records import format_rate
from mtneuron.studies.reproduction import figures

AGREEMENT = 0.02  # test accuracies this close to the blog's count as agreeing
FAILED = 0.5  # a run below this test accuracy failed to train (chance is 0.1)
SUMMARY = "summary.md"
DEFAULT_REFERENCES = ("tf1.15/faithful", "faithful")  # the blog's loop on TF 1.15, then on this TensorFlow


def write_report(out_dir, reference_dirs=(), rates=None):
    """Write both figures and ``summary.md`` for the records in ``out_dir``; return their paths.

    summary.md also puts every run beside the same run in each of ``reference_dirs`` (another engine
    or TensorFlow); with ``rates``, only the runs at those learning rates count.
    """
    runs = [run for run in records.load_records(out_dir) if rates is None or run["learning_rate"] in rates]
    reference = load_references(reference_dirs)
    paths = [os.path.join(out_dir, name) for name in (figures.CURVES_FIGURE, figures.BARS_FIGURE, SUMMARY)]
    save_figure(figures.curves_figure(runs), paths[0])
    save_figure(figures.bars_figure(runs), paths[1])
    write_text(paths[2], summary_markdown(runs, reference))
    first_layers = figures.first_layers_figure(out_dir, runs)
    if first_layers is not None:  # where the sweep kept the trained parameters
        paths.append(os.path.join(out_dir, figures.FIRST_LAYERS_FIGURE))
        save_figure(first_layers, paths[-1])
    return paths


def default_references(out_dir):
    """The directories of ``DEFAULT_REFERENCES`` under ``out_dir`` that exist."""
    paths = [os.path.join(out_dir, name) for name in DEFAULT_REFERENCES]
    return [path for path in paths if os.path.isdir(path)]


def load_references(directories):
    """``(directory, runs)`` of every reference directory."""
    return [(directory, records.load_records(directory)) for directory in directories]


# Figures.


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
    lines += bullets(reading(runs))
    if reference:
        lines += [""] + reference_markdown(runs, reference)
    lines += ["", "## Runs", "", runs_table(runs), "", "## Provenance", ""]
    lines += bullets(provenance(runs))
    lines += ["", "Figures: `%s` (Figure 2) and `%s` (Figure 3)." % (figures.CURVES_FIGURE,
                                                                     figures.BARS_FIGURE), ""]
    return "\n".join(lines)


def differs_from_blog(runs):
    """Settings in which these runs differ from the blog's experiment, as ``key: value`` strings."""
    return sorted({"%s: %s" % (key, run[key]) for run in runs
                   for key, value in blog.SETTINGS.items() if run[key] != value})


def comparison_rows(runs):
    """Per learning rate and model: the blog's test accuracy and the reproduced ones over seeds."""
    rows = []
    for rate in learning_rates(runs):
        for model in models(runs):
            cell_runs = cell(runs, model, rate)
            if cell_runs:
                rows.append(_comparison_row(cell_runs, model, rate))
    return rows


def _comparison_row(cell_runs, model, rate):
    accuracies = [run["accuracy"] for run in cell_runs]
    summary = stats.describe(accuracies)
    reported = blog.TEST_ACCURACY.get((model, rate))
    return {"learning_rate": rate, "model": model, "blog": reported, "summary": summary,
            "reproduced": summary["mean"],
            "difference": None if reported is None else summary["mean"] - reported,
            "place": None if reported is None else stats.place(reported, accuracies),
            "diverged": sum(run["diverged"] for run in cell_runs)}


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
        cells = [format_rate(row["learning_rate"]), LABELS[row["model"]], number(row["blog"]),
                 number(row["reproduced"]) + _diverged(row["diverged"], summary["n"]),
                 number(row["difference"], "%+.4f")]
        if several:
            cells += ["%d" % summary["n"], number(summary["sd"]),
                      "%.4f - %.4f" % (summary["min"], summary["max"]),
                      DASH if summary["n"] < 2 else "%.4f - %.4f" % summary["ci95"],
                      DASH if row["place"] is None else row["place"]["text"]]
        rows.append(cells)
    return table(header, rows)


def _diverged(count, n):
    if not count:
        return ""
    return " (diverged)" if n == 1 else " (%d of %d diverged)" % (count, n)


def final_point_table(runs):
    """Markdown table: the last point of each training curve (mean over seeds) against the blog's."""
    rows = []
    for row in comparison_rows(runs):
        cell_runs = cell(runs, row["model"], row["learning_rate"])
        blog_accuracy, blog_loss = blog.FINAL_TRAIN.get((row["model"], row["learning_rate"]), (None, None))
        rows.append([format_rate(row["learning_rate"]), LABELS[row["model"]],
                     number(blog_accuracy, "%.3f"), number(_last_mean(cell_runs, "accuracies"), "%.3f"),
                     number(blog_loss, "%.2f"), number(_last_mean(cell_runs, "losses"), "%.2f")])
    return table(["learning rate", "model", "blog accuracy", "accuracy", "blog loss", "loss"], rows)


def _last_mean(cell_runs, key):
    """Mean over seeds of the last point of curve ``key`` (NaN when no run has one)."""
    return stats.describe([_last(run[key]) for run in cell_runs])["mean"]


def _last(values):
    return values[-1] if values else None


def reading(runs):
    """Findings in words, computed from the records: where the reproduction agrees with the blog."""
    rows = [row for row in comparison_rows(runs) if row["blog"] is not None]
    if not rows:
        return ["None of these learning rates is one of the blog's, so there is nothing to compare."]
    failed_blog = _cells(row for row in rows if row["blog"] < FAILED)
    failed_here = _cells(row for row in rows if row["reproduced"] < FAILED)
    return [_agreement_finding(rows, seed_counts(runs))] + _winner_findings(rows) + [
        "Runs that failed to train (test accuracy below %.1f; chance is 0.1): in the blog %s; here %s: %s."
        % (FAILED, failed_blog, failed_here, "agrees" if failed_blog == failed_here else "differs")]


def _agreement_finding(rows, seeds):
    """How many cells agree with the blog, the largest difference, and what one cell is (seeds)."""
    close = [row for row in rows if abs(row["difference"]) <= AGREEMENT]
    largest = max(rows, key=lambda row: abs(row["difference"]))
    if seeds == "1":
        spread = "Each cell is one run, as in the blog, so seed-to-seed spread is not measured here."
    else:
        inside = [row for row in rows if row["summary"]["min"] <= row["blog"] <= row["summary"]["max"]]
        spread = ("Each reproduced number is the mean of %s seeds; the blog's single run lies within the "
                  "range of the seeds in %d of %d cells." % (seeds, len(inside), len(rows)))
    return ("%d of %d test accuracies are within %.2f of the blog's; the largest difference is %+.4f (%s). %s"
            % (len(close), len(rows), AGREEMENT, largest["difference"], _cells([largest]), spread))


def _winner_findings(rows):
    """Per learning rate with both models: the blog's better model against the reproduction's."""
    findings = []
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
    return findings


def _cells(rows):
    cells = ["%s at %s" % (LABELS[row["model"]], format_rate(row["learning_rate"])) for row in rows]
    return ", ".join(cells) or "none"


def _other(model):
    return next(other for other in blog.MODELS if other != model)


def runs_table(runs):
    """Markdown table: engine, steps, divergence and speed of every run."""
    return table(
        ["run", "engine", "steps", "diverged", "wall time (s)", "examples/s"],
        [[records.spec_of(run, blog_runs.RunSpec).filename, run["engine"], "%d" % run["steps"],
          "yes" if run["diverged"] else "no", "%.0f" % run["wall_time_s"],
          "%.0f" % run["examples_per_second"]] for run in runs])


# summary.md: every run beside the same run of reference sweeps (another engine or TensorFlow).

def reference_markdown(runs, reference):
    """Markdown lines: every run beside the same run of each ``(directory, runs)`` reference, and findings."""
    lines = ["## Against the runs in %s" % ", ".join("`%s`" % directory for directory, _ in reference), "",
             "Same settings and seed, the same initial weights and data order. Engines and TensorFlows that "
             "agree to the last bits for a step or more still drift apart over %s batch-1 steps from a "
             "std-1 initialisation (the training is chaotic), so single cells can differ by as much as two "
             "seeds do; whether engines differ systematically is a question for several seeds "
             "(`engine_equivalence.md`), where the two TensorFlows part one for `tf_agreement.md`."
             % f"{blog.EPOCHS * blog.TRAIN_EXAMPLES:,}", "",
             reference_table(runs, [side for _, side in reference]), ""]
    for directory, reference_runs in reference:
        findings = reference_reading(runs, reference_runs)
        lines += ["- Against `%s`: %s" % (directory, finding) for finding in findings]
    return lines


def reference_table(runs, references):
    """Markdown table: each run's test accuracy and last curve point beside the same run in every
    reference (lists of runs), references first, as ``a / b / these``."""
    rows = []
    for run in runs:
        sides = [same_run(reference, run) for reference in references] + [run]
        if any(side is None for side in sides):
            continue
        rows.append([format_rate(run["learning_rate"]), LABELS[run["model"]], "%d" % run["seed"],
                     " / ".join(_setting(side) for side in sides),
                     " / ".join("%.4f" % side["accuracy"] for side in sides),
                     " / ".join("%.3f" % _last(side["accuracies"]) for side in sides),
                     " / ".join("%.2f" % _last(side["losses"]) for side in sides)])
    return table(["learning rate", "model", "seed", "engine, TensorFlow", "test accuracy",
                  "last train accuracy", "last train loss"], rows)


def _setting(run):
    """A run's engine and TensorFlow, e.g. ``faithful, TF 1.15.5`` (the engine alone if not recorded)."""
    version = run.get("tensorflow_version")
    return run["engine"] if version is None else "%s, TF %s" % (run["engine"], version)


def reference_reading(runs, reference_runs):
    """Findings in words against the reference runs: close cells, failures, better models, speed."""
    pairs = [(run, same_run(reference_runs, run)) for run in runs]
    pairs = [pair for pair in pairs if pair[1] is not None]
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
    minutes = [sweep_seconds(side) / 60 for side in sides]
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
