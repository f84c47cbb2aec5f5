"""Is the multi-threshold neuron any good? Every neuron at its own best learning rate and init.

A cell is a network, a hidden neuron, an init and a batch size (``Cell``). Its learning rate is chosen
on the 5,000 validation images from a log grid: one run per rate with the first seed (``search_specs``),
the best final validation accuracy wins (``chosen_rate``). The chosen rate is then trained with every
seed (``final_specs``) and scored on the test set, which only the report reads. ``stages`` yields the
runs in that order, each stage planned from the records the earlier ones left. The report is
``summary.md`` with ``validation_vs_rate.png`` and ``test_accuracy.png``. Imports no TensorFlow.
"""

import collections
import dataclasses
import itertools
import math
import os

import numpy as np
from matplotlib.figure import Figure

from mtneuron import blog, files, markdown, records, stats
from mtneuron.minibatch import MinibatchSpec

RATES = (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03)
SEEDS = (1, 2, 3, 4, 5)
BATCH_SIZES = (32, 128)
GROUPS = ("mlp", "cnn", "paper", "linear", "batch1")
EPOCHS = {"mlp": 10, "cnn": 3, "paper": 2, "batch1": 2}  # sized so that the study takes about 3 h on 2 cores
INITS = {"central": ("blog", "scaled"), "multi": ("blog", "scaled", "derived")}
PAPER_NEURONS = ("heaviside", "sigmoid", "relu_thresholds")
PAPER_BATCH = 128
SUMMARY = "summary.md"
RATE_FIGURE = "validation_vs_rate.png"
TEST_FIGURE = "test_accuracy.png"
INIT_CHECK = "init_check.json"
LABELS = {"central": "central", "multi": "multi ReLU", "heaviside": "Heaviside + thresholds",
          "sigmoid": "sigmoid + thresholds", "relu_thresholds": "ReLU + thresholds",
          "linear": "softmax regression"}


@dataclasses.dataclass(frozen=True)
class ComparisonSpec(MinibatchSpec):
    """A run of the comparison study; its file name carries every field that varies."""

    @property
    def filename(self):
        """``run_{architecture}_{kind}_{init}_b{batch}_e{epochs}_lr{rate}_seed{seed}.json``."""
        return "run_%s_%s_%s_b%d_e%d_lr%s_seed%d.json" % (
            self.architecture, self.kind, self.init, self.batch_size, self.n_epochs,
            records.format_rate(self.learning_rate), self.seed)


Cell = collections.namedtuple("Cell", ["architecture", "kind", "init", "batch_size", "n_epochs"])
Cell.__doc__ = """What is compared: a network, its hidden neuron, its init, a batch size and the epochs."""

Settings = collections.namedtuple("Settings",
                                  ["groups", "batch_sizes", "rates", "seeds", "epochs", "n_examples"])
Settings.__doc__ = """The study's design as the command's options give it."""


def default_settings(**changes):
    """The study as committed: every group, both batch sizes, the whole grid, five seeds."""
    settings = Settings(GROUPS, BATCH_SIZES, RATES, SEEDS, dict(EPOCHS), blog.TRAIN_EXAMPLES)
    return settings._replace(**changes)


# ---- the design


def cells(settings):
    """The cells fixed before any run: both neurons at each init (MLP, CNN), the paper's neurons and the
    linear baseline (softmax regression, also at batch 1 in the blog's setting: N(0, 1), 4 epochs)."""
    chosen = []
    for architecture, batch in itertools.product(("mlp", "cnn"), settings.batch_sizes):
        if architecture in settings.groups:
            chosen += [Cell(architecture, kind, init, batch, settings.epochs[architecture])
                       for kind in blog.MODELS for init in INITS[kind]]
    if "paper" in settings.groups:
        chosen += [Cell("mlp", kind, "derived", PAPER_BATCH, settings.epochs["paper"])
                   for kind in PAPER_NEURONS]
    if "linear" in settings.groups:
        chosen += [Cell("linear", "linear", "scaled", batch, settings.epochs["mlp"])
                   for batch in settings.batch_sizes]
        chosen.append(Cell("linear", "linear", "blog", 1, blog.EPOCHS))
    return chosen


def batch_one_cells(runs, settings):
    """The MLP at batch 1 for each neuron, with the init that won its learning-rate search at the
    smallest batch size searched (empty unless the "batch1" group is asked for and that search ran)."""
    if "batch1" not in settings.groups:
        return []
    batch = min(settings.batch_sizes)
    found = []
    for kind in blog.MODELS:
        searched = [(chosen_rate(runs, cell)[1], cell.init) for cell in cells(settings)
                    if cell[:2] == ("mlp", kind) and cell.batch_size == batch]
        searched = [(accuracy, init) for accuracy, init in searched if accuracy is not None]
        if searched:
            found.append(Cell("mlp", kind, max(searched)[1], 1, settings.epochs["batch1"]))
    return found


def spec(cell, learning_rate, seed, n_examples):
    """The run of ``cell`` at ``learning_rate`` and ``seed``."""
    return ComparisonSpec(architecture=cell.architecture, kind=cell.kind, batch_size=cell.batch_size,
                          init=cell.init, learning_rate=learning_rate, seed=seed, n_epochs=cell.n_epochs,
                          n_examples=n_examples)


def search_specs(chosen, settings):
    """Every cell at every rate of the grid, with the first seed."""
    return [spec(cell, rate, settings.seeds[0], settings.n_examples)
            for cell in chosen for rate in settings.rates]


def final_specs(chosen, runs, settings):
    """Every cell at its chosen rate with the other seeds: the search's run is the first seed's (cells
    whose search has no record yet are left out)."""
    planned = []
    for cell in chosen:
        rate, _accuracy = chosen_rate(runs, cell)
        if rate is not None:
            planned += [spec(cell, rate, seed, settings.n_examples) for seed in settings.seeds[1:]]
    return planned


def stages(out_dir, settings):
    """The runs to train, stage by stage: the search, the batch-1 search it decides, every final seed."""
    fixed = cells(settings)
    yield search_specs(fixed, settings)
    single = batch_one_cells(_records(out_dir), settings)
    yield search_specs(single, settings)
    yield final_specs(fixed + single, _records(out_dir), settings)


def _records(out_dir):
    """The complete records in ``out_dir`` (none yet is no error: a stage may have trained nothing)."""
    return records.load_records(out_dir) if _has_records(out_dir) else []


def _has_records(out_dir):
    return os.path.isdir(out_dir) and any(name.startswith("run_") for name in os.listdir(out_dir))


# ---- reading the records


def cell_of(run):
    """The ``Cell`` a record belongs to."""
    return Cell(run["architecture"], run["kind"], run["init"], run["batch_size"], run["n_epochs"])


def search_runs(runs, cell):
    """The cell's search: its runs with the smallest seed it has, one per rate, by rate."""
    mine = [run for run in runs if cell_of(run) == cell]
    if not mine:
        return []
    first = min(run["seed"] for run in mine)
    return sorted((run for run in mine if run["seed"] == first), key=lambda run: run["learning_rate"])


def chosen_rate(runs, cell):
    """The searched rate with the best final validation accuracy (the smaller rate on a tie) and that
    accuracy; ``(None, None)`` before the search has a record. A diverged run scores what it scored."""
    searched = search_runs(runs, cell)
    if not searched:
        return None, None
    best = max(searched, key=lambda run: (_validation(run), -run["learning_rate"]))
    return best["learning_rate"], _validation(best)


def _validation(run):
    """The final validation accuracy, NaN-safe (a NaN counts as 0)."""
    value = run["validation_accuracy"]
    return value if value is not None and math.isfinite(value) else 0.0


def final_runs(runs, cell):
    """The cell's runs at its chosen rate, one per seed."""
    rate, _accuracy = chosen_rate(runs, cell)
    return sorted((run for run in runs if cell_of(run) == cell and run["learning_rate"] == rate),
                  key=lambda run: run["seed"])


def cell_summary(runs, cell):
    """What the report says of a cell: the chosen rate, whether it lies on the grid's edge, the test
    accuracy over seeds (``stats.describe``), the mean final validation accuracy and the cost per step."""
    searched = search_runs(runs, cell)
    rate, validation = chosen_rate(runs, cell)
    final = final_runs(runs, cell)
    rates = [run["learning_rate"] for run in searched]
    return {"cell": cell, "rate": rate, "edge": len(rates) > 1 and rate in (rates[0], rates[-1]),
            "search_validation": validation, "test": stats.describe([run["accuracy"] for run in final]),
            "validation": float(np.mean([_validation(run) for run in final])),
            "us_per_step": float(np.mean([run["us_per_step"] for run in final])),
            "seeds": [run["seed"] for run in final], "diverged": sum(run["diverged"] for run in final)}


def all_cells(runs):
    """Every cell the records hold, in the report's order."""
    networks, kinds = ("mlp", "cnn", "linear"), blog.MODELS + PAPER_NEURONS + ("linear",)
    return sorted({cell_of(run) for run in runs}, key=lambda cell: (
        networks.index(cell.architecture), cell.batch_size, kinds.index(cell.kind), cell.init))


def best_of(summaries, architecture, kind, batch_size):
    """The summary of the kind's best init in that network at that batch size, chosen on validation."""
    mine = [summary for summary in summaries if summary["cell"][:2] == (architecture, kind)
            and summary["cell"].batch_size == batch_size and summary["test"]["n"]]
    return max(mine, key=lambda summary: summary["validation"]) if mine else None


def head_to_head(runs, summaries):
    """Per network and batch size, multi at its best init and rate against central at its: test accuracy
    paired by seed (``stats.compare_models``)."""
    results = []
    for architecture, batch in sorted({(cell.architecture, cell.batch_size) for cell in all_cells(runs)
                                       if cell.kind in blog.MODELS}):
        central, multi = (best_of(summaries, architecture, kind, batch) for kind in ("central", "multi"))
        if central is None or multi is None:
            continue
        pairs = paired_accuracies(runs, central["cell"], multi["cell"])
        results.append({"architecture": architecture, "batch_size": batch, "central": central, "multi": multi,
                        "test": stats.compare_models(*pairs)})
    return results


def paired_accuracies(runs, first, second):
    """Test accuracies of two cells' final runs over the seeds both have."""
    accuracies = [{run["seed"]: run["accuracy"] for run in final_runs(runs, cell)}
                  for cell in (first, second)]
    seeds = sorted(set(accuracies[0]) & set(accuracies[1]))
    return [[accuracy[seed] for seed in seeds] for accuracy in accuracies]


# ---- the init check: statistics of every hidden layer at initialisation


def init_check(calibration, images, seed=SEEDS[0]):
    """Mean and variance of every hidden layer's outputs at initialisation on ``images``, for each
    per-synapse neuron and init of the study; ``derived`` layers are set on the ``calibration`` images
    (``minibatch.derive_init``), which it promises to centre with unit variance (ReLU)."""
    from mtneuron import minibatch

    networks = [(architecture, "multi", init) for architecture in ("mlp", "cnn") for init in INITS["multi"]]
    networks += [("mlp", kind, "derived") for kind in PAPER_NEURONS] + [("mlp", "central", "scaled")]
    return [dict(architecture=architecture, kind=kind, init=init, images=len(images),
                 layers=_layer_statistics(minibatch.build_graph(architecture, kind, init, seed=seed),
                                          calibration, images))
            for architecture, kind, init in networks]


def _layer_statistics(model, calibration, images):
    """``{"mean", "variance"}`` of each hidden output of ``model`` over ``images`` and units."""
    from mtneuron import minibatch
    from mtneuron.tf1 import tf

    with tf.Session(graph=model.graph) as session:
        session.run(model.init)
        minibatch.derive_init(session, model, calibration)
        outputs = session.run(model.hidden, {model.inputs: images})
    return [{"mean": float(np.mean(output, dtype=np.float64)),
             "variance": float(np.var(output, dtype=np.float64))} for output in outputs]


def write_init_check(data_dir, out_dir, count=1000):
    """Run ``init_check`` on ``count`` training images after the calibration images, into
    ``init_check.json``; return its path."""
    from mtneuron import data, minibatch

    path = os.path.join(out_dir, INIT_CHECK)
    images = data.read_data_sets(data_dir).train.images
    first = minibatch.CALIBRATION_IMAGES
    records.write_json(path, {"checks": init_check(images[:first], images[first:first + count])})
    return path


# ---- the report


def write_report(out_dir):
    """Write ``summary.md`` and the two figures of the records in ``out_dir``; returns their paths."""
    runs = records.load_records(out_dir)
    check = records.read_json(os.path.join(out_dir, INIT_CHECK))
    paths = [os.path.join(out_dir, name) for name in (RATE_FIGURE, TEST_FIGURE, SUMMARY)]
    files.save_figure(rate_figure(runs), paths[0])
    files.save_figure(test_figure(runs), paths[1])
    files.write_text(paths[2], summary_markdown(runs, check))
    return paths


def summary_markdown(runs, check=None):
    """``summary.md``: the head-to-head table, every cell, the paper's neurons, the linear baseline."""
    summaries = [cell_summary(runs, cell) for cell in all_cells(runs)]
    lines = ["# Multi- against central-threshold neurons, each at its own best", "", _setup(runs), ""]
    lines += _head_to_head_markdown(head_to_head(runs, summaries))
    lines += ["## Every cell", "", _cells_table(summaries), "",
              "Figures: `%s` (validation accuracy of the search against the rate; the final seeds' test "
              "accuracies at the chosen rate), `%s` (test accuracy of every seed)."
              % (RATE_FIGURE, TEST_FIGURE),
              ""]
    lines += _paper_markdown(summaries) + _linear_markdown(summaries)
    lines += [] if check is None else _check_markdown(check)
    lines += ["## Provenance", ""] + markdown.bullets(markdown.provenance(runs))
    return "\n".join(lines) + "\n"


def _setup(runs):
    """How the cells were searched, trained and scored."""
    rates = sorted({run["learning_rate"] for run in runs})
    epochs = sorted({(cell.architecture, cell.batch_size, cell.n_epochs) for cell in map(cell_of, runs)})
    return ("Each cell (network, hidden neuron, init, batch size) picks its learning rate from %s by the "
            "final validation accuracy (5,000 held-out images) of one run with the first seed; that rate "
            "is then trained with every seed and scored once on the 10,000 test images. Adam, %s training "
            "examples per epoch; epochs: %s. Inits: `blog` N(0, 1) everywhere; `scaled` He hidden and "
            "Glorot output kernels, zero biases; `derived` the per-synapse init of the README (centred, "
            "unit variance). Intervals are 95%% t-intervals over seeds; paired tests pair equal seeds "
            "(the same data order)." % (
                ", ".join(records.format_rate(rate) for rate in rates),
                _thousands(max(run["n_examples"] for run in runs)),
                ", ".join("%s batch %d: %d" % (architecture.upper(), batch, count)
                          for architecture, batch, count in epochs)))


def _thousands(count):
    return f"{count:,}"


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


def _head_to_head_markdown(results):
    """Multi at its best init and rate against central at its, per network and batch size."""
    if not results:
        return []
    rows = [["%s batch %d" % (result["architecture"].upper(), result["batch_size"]),
             _best(result["central"]), _best(result["multi"]),
             _difference(result["test"]),
             markdown.p_value(result["test"]["t_p"]), "%d" % result["test"]["n"],
             result["test"]["better"] or "neither"] for result in results]
    return ["## Each neuron at its best init and learning rate", "",
            "The init is chosen per neuron by the final validation accuracy over seeds; test accuracy.", "",
            markdown.table(["network", "central: init, rate, test", "multi: init, rate, test",
                            "multi - central", "paired t-test p", "seeds", "better"], rows), ""]


def _cells_table(summaries):
    rows = [[summary["cell"].architecture.upper(), LABELS[summary["cell"].kind], summary["cell"].init,
             "%d" % summary["cell"].batch_size, "%d" % summary["cell"].n_epochs, _rate(summary),
             markdown.number(summary["search_validation"]), _accuracy(summary), "%d" % summary["test"]["n"],
             "%d" % summary["diverged"], "%.0f" % summary["us_per_step"]] for summary in summaries]
    return markdown.table(["network", "neuron", "init", "batch", "epochs", "rate", "search validation",
                           "test accuracy", "seeds", "diverged", "us/step"], rows)


def _beside_multi(summaries, kinds):
    """Each trained cell of ``kinds`` with the multi-threshold ReLU MLP at its best at that batch size."""
    return [(summary, best_of(summaries, "mlp", "multi", summary["cell"].batch_size))
            for summary in summaries if summary["cell"].kind in kinds and summary["test"]["n"]]


def _paper_markdown(summaries):
    """The paper's neurons against the multi-threshold ReLU MLP at the same batch size."""
    pairs = _beside_multi(summaries, PAPER_NEURONS)
    lines = ["## The paper's neuron and its relatives", ""]
    for summary, multi in pairs:
        gap = "" if multi is None else "; multi ReLU MLP at its best (%s init): %.4f, gap %+.4f" % (
            multi["cell"].init, multi["test"]["mean"], summary["test"]["mean"] - multi["test"]["mean"])
        lines.append("- %s (MLP, batch %d): test %s at rate %s, %.0f us/step%s." % (
            LABELS[summary["cell"].kind], summary["cell"].batch_size, _accuracy(summary), _rate(summary),
            summary["us_per_step"], gap))
    return lines + [""] if pairs else []


def _linear_markdown(summaries):
    """Softmax regression against the multi-threshold MLP at the same batch size."""
    pairs = _beside_multi(summaries, ("linear",))
    lines = ["## A linear baseline: softmax regression (784-10)", ""]
    for summary, multi in pairs:
        share = "" if multi is None else "; the multi ReLU MLP at its best: %.4f (linear gets %.1f%%)" % (
            multi["test"]["mean"], 100 * summary["test"]["mean"] / multi["test"]["mean"])
        lines.append("- batch %d, %s init, epochs %d: test %s at rate %s%s." % (
            summary["cell"].batch_size, summary["cell"].init, summary["cell"].n_epochs, _accuracy(summary),
            _rate(summary), share))
    return lines + [""] if pairs else []


def _check_markdown(check):
    """The init check's table: every hidden layer's mean and variance at initialisation."""
    rows = [[one["architecture"].upper(), LABELS[one["kind"]], one["init"], "%d" % (index + 1),
             "%.3g" % layer["mean"], "%.3g" % layer["variance"]]
            for one in check["checks"] for index, layer in enumerate(one["layers"])]
    return ["## The derived init on real activations", "",
            "Every hidden layer's outputs at initialisation on %d training images (over images and units) "
            "other than the 1,000 that set the `derived` layers; the derivation promises mean 0 and variance "
            "1 for the `derived` ReLU layers." % (
                check["checks"][0]["images"]), "",
            markdown.table(["network", "neuron", "init", "layer", "mean", "variance"], rows), ""]


# ---- the figures


def _panels(runs):
    """One panel per network and batch size, in the report's order."""
    return sorted({(cell.architecture, cell.batch_size) for cell in map(cell_of, runs)},
                  key=lambda panel: (("mlp", "cnn", "linear").index(panel[0]), panel[1]))


def rate_figure(runs):
    """Validation accuracy of every search against the learning rate, a line per neuron and init; the
    final seeds' test accuracies as dots at the chosen rate."""
    panels = _panels(runs)
    columns = min(3, len(panels))
    rows = (len(panels) + columns - 1) // columns
    figure = Figure(figsize=(4.5 * columns, 3.6 * rows + 0.9))
    axes = figure.subplots(rows, columns, squeeze=False, sharey=True).ravel()
    for axis, (architecture, batch) in zip(axes, panels):
        for index, cell in enumerate(cell for cell in all_cells(runs)
                                     if (cell.architecture, cell.batch_size) == (architecture, batch)):
            _plot_search(axis, runs, cell, "C%d" % index)
        axis.set_xscale("log")
        axis.set_title("%s, batch size %d" % (architecture.upper(), batch))
        axis.set_xlabel("learning rate")
        axis.legend(fontsize=7, loc="lower left")
    for axis in axes[len(panels):]:
        axis.set_visible(False)
    axes[0].set_ylabel("accuracy")
    figure.suptitle("Learning-rate search (lines: validation, first seed); test accuracy of every seed (x)")
    figure.tight_layout(rect=(0, 0, 1, 0.95))
    return figure


def _plot_search(axis, runs, cell, color):
    """One cell's search line and its final seeds' dots."""
    searched = search_runs(runs, cell)
    axis.plot([run["learning_rate"] for run in searched], [_validation(run) for run in searched], "-o",
              color=color, markersize=3, label="%s, %s" % (LABELS[cell.kind], cell.init))
    final = final_runs(runs, cell)
    axis.plot([run["learning_rate"] for run in final], [run["accuracy"] for run in final], "x", color=color,
              markersize=5)
    axis.set_ylim(0, 1.01)


def test_figure(runs):
    """The test accuracy of every final seed per cell, with the mean and its 95% interval."""
    summaries = [cell_summary(runs, cell) for cell in all_cells(runs)]
    figure = Figure(figsize=(max(6, 0.45 * len(summaries) + 2), 5))
    axis = figure.subplots()
    for index, summary in enumerate(summaries):
        final = final_runs(runs, summary["cell"])
        axis.plot([index] * len(final), [run["accuracy"] for run in final], "o", color="C%d" % (index % 10),
                  alpha=0.6, markersize=4)
        if summary["test"]["n"] > 1:
            low, high = summary["test"]["ci95"]
            axis.errorbar([index], [summary["test"]["mean"]], [[summary["test"]["mean"] - low],
                                                              [high - summary["test"]["mean"]]], color="k",
                          capsize=3)
    axis.set_xticks(range(len(summaries)))
    axis.set_xticklabels(["%s b%d %s %s" % (summary["cell"].architecture.upper(), summary["cell"].batch_size,
                                            LABELS[summary["cell"].kind], summary["cell"].init)
                          for summary in summaries], rotation=70, ha="right", fontsize=7)
    axis.set_ylabel("test accuracy")
    axis.set_title("Test accuracy at each cell's chosen learning rate: every seed, mean and 95% interval")
    figure.tight_layout()
    return figure
