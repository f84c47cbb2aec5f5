"""Is the multi-threshold neuron any good? Every neuron at its own best learning rate and init.

A cell is a network, a hidden neuron, an init and a batch size (``Cell``). Its learning rate is chosen
on the validation set from a log grid: one run per rate with the search's own seed (``search_specs``),
the best validation accuracy wins (``chosen_rate``); a cell whose best rate lies on an end of the grid
searches past it (``edge_specs``). The chosen rate is then trained with every final seed (``final_specs``)
and scored on the test set, which only the report reads. Every run stops early on the validation set.
``stages`` yields the runs in that order, each stage planned from the records the earlier ones left. The
report is ``summary.md`` with ``validation_vs_rate.png`` and ``test_accuracy.png``. Imports no TensorFlow.
"""

import collections
import dataclasses
import math
import os

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from mtneuron import blog
from mtneuron.run import files, markdown, records, stats
from mtneuron.train.minibatch import MinibatchSpec

RATES = (0.0001, 0.0003, 0.001, 0.003, 0.01)
SEARCH_SEED = 0  # the learning-rate search's own seed: never a final seed
SEEDS = (1, 2, 3, 4, 5)  # the final seeds of every cell
BATCH_SIZES = (32, 128)
DATASETS = ("mnist", "mnist1d")
GROUPS = ("mlp", "approximations", "controls", "cnn", "linear")
MAX_EPOCHS = {"mnist": 30, "mnist1d": 400}  # a cap: every run stops early on validation (PATIENCE)
PATIENCE = {"mnist": 5, "mnist1d": 20}  # epochs without a better validation accuracy before a run stops
PAPER_NEURONS = ("paper", "heaviside", "relu_thresholds")
PAPER_BATCH = 128  # the paper's neurons, the controls and the CNN train at this batch size
EXTENSIONS = 2  # rates searched past an end of the grid while a cell's best rate lies on that end
SUMMARY = "summary.md"
RATE_FIGURE = "validation_vs_rate.png"
TEST_FIGURE = "test_accuracy.png"
INIT_CHECK = "init_check.json"
NETWORKS = {"mlp": "MLP", "mlp1": "MLP 784-87-10", "cnn": "CNN", "linear": "Linear"}
DATA_NAMES = {"mnist": "MNIST", "mnist1d": "MNIST-1D"}
GROUP_ORDER = ("MLP", "MLP (the paper's neurons)", "MLP 784-87-10", "CNN", "Linear")  # see _group
COLORS = {"central": blog.COLORS["central"], "multi": blog.COLORS["multi"], "crelu": "tab:olive",
          "paper": "tab:red", "heaviside": "tab:green", "sigmoid": "tab:purple",
          "relu_thresholds": "tab:brown", "linear": "tab:gray"}
MARKERS = {"blog": "s", "scaled": "o", "derived": "D", "positive": "^"}
LINES = {"blog": ":", "scaled": "--", "derived": "-", "positive": "-."}
LABELS = {"central": "central", "multi": "multi ReLU", "crelu": "CReLU (free A, B)",
          "paper": "the paper's: Heaviside + thresholds, no bias", "heaviside": "Heaviside + thresholds",
          "sigmoid": "sigmoid + thresholds", "relu_thresholds": "ReLU + thresholds",
          "linear": "softmax regression"}


@dataclasses.dataclass(frozen=True)
class ComparisonSpec(MinibatchSpec):
    """A run of the comparison study; its file name carries every field that varies."""

    @property
    def filename(self):
        """``run_{data}_{architecture}_{kind}_{init}_b{batch}_e{epochs}[_p{patience}]_lr{rate}_seed{seed}``
        ``.json``, ``{data}`` being the data set (``-centred`` when its inputs are centred)."""
        return "run_%s%s_%s_%s_%s_b%d_e%d%s_lr%s_seed%d.json" % (
            self.dataset, "-centred" if self.centred else "", self.architecture, self.kind, self.init,
            self.batch_size, self.n_epochs, "" if self.patience is None else "_p%d" % self.patience,
            records.format_rate(self.learning_rate), self.seed)


Cell = collections.namedtuple("Cell", ["architecture", "kind", "init", "batch_size", "n_epochs", "patience",
                                       "dataset", "centred"], defaults=(None, "mnist", False))
Cell.__doc__ = """What is compared: a network, its hidden neuron, its init, a batch size, its budget (at most
``n_epochs``, stopping after ``patience`` epochs without a better validation accuracy), the data set and
whether its inputs are centred."""

Settings = collections.namedtuple("Settings", ["groups", "datasets", "batch_sizes", "rates", "seeds",
                                               "max_epochs", "patience", "n_examples", "extensions"])
Settings.__doc__ = """The study's design as the command's options give it."""


def default_settings(**changes):
    """The study as committed: every group on both data sets, the grid and its extensions, five seeds."""
    settings = Settings(GROUPS, DATASETS, BATCH_SIZES, RATES, SEEDS, dict(MAX_EPOCHS), dict(PATIENCE),
                        blog.TRAIN_EXAMPLES, EXTENSIONS)
    return settings._replace(**changes)


# ---- the design


def cells(settings):
    """The cells, fixed before any run, data set by data set: each group's (``GROUP_CELLS``) that the data
    set allows (MNIST-1D has no images for the CNN and signed inputs already)."""
    chosen = []
    for dataset in settings.datasets:
        budget = (settings.max_epochs[dataset], settings.patience[dataset], dataset)
        for group in settings.groups:
            chosen += [Cell(*network[:4], *budget, centred=network[4])
                       for network in GROUP_CELLS[group](settings.batch_sizes) if _allows(dataset, network)]
    return chosen


def _allows(dataset, network):
    """Whether ``dataset`` takes ``(architecture, kind, init, batch, centred)``: MNIST-1D has no images for
    the CNN, and its inputs have both signs already (nothing to centre, no frozen weights to avoid)."""
    architecture, _kind, init, _batch, centred = network
    return dataset == "mnist" or (architecture != "cnn" and not centred and init != "positive")


def _mlp_cells(batch_sizes):
    """Central (He) against multi ReLU (He, derived) at each batch size (the blog's N(0, 1) init left out:
    the earlier study found it the worst in every cell)."""
    return [("mlp", kind, init, batch, False) for batch in batch_sizes
            for kind, init in (("central", "scaled"), ("multi", "scaled"), ("multi", "derived"))]


def _approximation_cells(batch_sizes):
    """The paper's neuron and the blog's approximations of it, one at a time (multi ReLU is in "mlp")."""
    return [("mlp", kind, "derived", PAPER_BATCH, False) for kind in PAPER_NEURONS]


def _control_cells(batch_sizes):
    """A central MLP with one hidden layer, as the multi MLP on pixels has one non-linear layer; a first
    multi layer that freezes nothing; centred inputs for both neurons; the free CReLU layer."""
    return [("mlp1", "central", "scaled", PAPER_BATCH, False),
            ("mlp", "multi", "positive", PAPER_BATCH, False),
            ("mlp", "central", "scaled", PAPER_BATCH, True), ("mlp", "multi", "derived", PAPER_BATCH, True),
            ("mlp", "crelu", "scaled", PAPER_BATCH, False)]


def _cnn_cells(batch_sizes):
    return [("cnn", "central", "scaled", PAPER_BATCH, False), ("cnn", "multi", "derived", PAPER_BATCH, False)]


def _linear_cells(batch_sizes):
    return [("linear", "linear", "scaled", batch, False) for batch in batch_sizes]


GROUP_CELLS = {"mlp": _mlp_cells, "approximations": _approximation_cells, "controls": _control_cells,
               "cnn": _cnn_cells, "linear": _linear_cells}


def spec(cell, learning_rate, seed, n_examples):
    """The run of ``cell`` at ``learning_rate`` and ``seed``."""
    return ComparisonSpec(architecture=cell.architecture, kind=cell.kind, batch_size=cell.batch_size,
                          init=cell.init, learning_rate=learning_rate, seed=seed, n_epochs=cell.n_epochs,
                          n_examples=n_examples, patience=cell.patience, dataset=cell.dataset,
                          centred=cell.centred)


def search_specs(chosen, settings):
    """Every cell at every rate of the grid, with the search's own seed."""
    return [spec(cell, rate, SEARCH_SEED, settings.n_examples)
            for cell in chosen for rate in settings.rates]


def edge_specs(chosen, runs, settings):
    """Each cell whose best rate is the smallest (largest) it searched, at the next rate below (above) it,
    while it has searched fewer than ``settings.extensions`` rates past that end of the grid."""
    planned = []
    for cell in chosen:
        search = search_runs(runs, cell)
        if len(search) < 2:  # one rate searched: no end to pass
            continue
        rates = [run["learning_rate"] for run in search]
        rate = _best_searched(search)["learning_rate"]
        direction = {rates[0]: -1, rates[-1]: 1}.get(rate)
        if direction is None:
            continue
        end = (min if direction < 0 else max)(settings.rates)
        if sum((other - end) * direction > 0 for other in rates) < settings.extensions:
            planned.append(spec(cell, next_rate(rate, direction), SEARCH_SEED, settings.n_examples))
    return planned


def next_rate(rate, direction):
    """The next value of the sequence 1, 3, 10, 30, ... x 10^k below (``direction`` -1) or above (+1)
    ``rate``."""
    exponent = math.floor(math.log10(rate))
    sequence = [float("%de%d" % (mantissa, power)) for power in range(exponent - 1, exponent + 2)
                for mantissa in (1, 3)]
    if direction > 0:
        return min(value for value in sequence if value > rate * (1 + 1e-9))
    return max(value for value in sequence if value < rate * (1 - 1e-9))


def final_specs(chosen, runs, settings):
    """Every cell at its chosen rate with every final seed (cells whose search has no record yet are
    left out)."""
    planned = []
    for cell in chosen:
        rate, _accuracy = chosen_rate(runs, cell)
        if rate is not None:
            planned += [spec(cell, rate, seed, settings.n_examples) for seed in settings.seeds]
    return planned


def stages(out_dir, settings):
    """The runs to train, stage by stage: the search and its extensions, then every final seed."""
    fixed = cells(settings)
    yield from _searches(fixed, out_dir, settings)
    yield final_specs(fixed, _records(out_dir), settings)


def _searches(chosen, out_dir, settings):
    """The grid for every cell of ``chosen``, then each extension past an end of it, planned in turn."""
    yield search_specs(chosen, settings)
    for _ in range(settings.extensions):
        yield edge_specs(chosen, _records(out_dir), settings)


def _records(out_dir):
    """The complete records in ``out_dir`` (none yet is no error: a stage may have trained nothing)."""
    return records.load_records(out_dir) if _has_records(out_dir) else []


def _has_records(out_dir):
    return os.path.isdir(out_dir) and any(name.startswith("run_") for name in os.listdir(out_dir))


# ---- reading the records


def cell_of(run):
    """The ``Cell`` a record belongs to."""
    return Cell(run["architecture"], run["kind"], run["init"], run["batch_size"], run["n_epochs"],
                run.get("patience"), run.get("dataset", "mnist"), run.get("centred", False))


def search_runs(runs, cell):
    """The cell's search: its runs with the search's seed, one per rate, by rate."""
    return sorted((run for run in runs if cell_of(run) == cell and run["seed"] == SEARCH_SEED),
                  key=lambda run: run["learning_rate"])


def chosen_rate(runs, cell):
    """The searched rate with the best final validation accuracy (the smaller rate on a tie) and that
    accuracy; ``(None, None)`` before the search has a record. A diverged run scores what it scored."""
    searched = search_runs(runs, cell)
    if not searched:
        return None, None
    best = _best_searched(searched)
    return best["learning_rate"], _validation(best)


def _best_searched(searched):
    """The search run with the best final validation accuracy, the smaller rate on a tie."""
    return max(searched, key=lambda run: (_validation(run), -run["learning_rate"]))


def _validation(run):
    """The final validation accuracy, NaN-safe (a NaN counts as 0)."""
    value = run["validation_accuracy"]
    return value if value is not None and math.isfinite(value) else 0.0


def final_runs(runs, cell):
    """The cell's runs at its chosen rate, one per final seed."""
    rate, _accuracy = chosen_rate(runs, cell)
    return sorted((run for run in runs if cell_of(run) == cell and run["learning_rate"] == rate
                   and run["seed"] != SEARCH_SEED),
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
            "validation": float(np.mean([_validation(run) for run in final])) if final else math.nan,
            "us_per_step": _mean_of(final, "us_per_step"),
            "epochs": _mean_of(final, "epochs_trained"), "best_epoch": _mean_of(final, "best_epoch"),
            "capped": sum(run.get("epochs_trained") == run["n_epochs"] for run in final),
            "seeds": [run["seed"] for run in final], "diverged": sum(run["diverged"] for run in final)}


def _mean_of(runs, key):
    """The mean of a field over runs (NaN where records from before early stopping lack it)."""
    return float(np.mean([run.get(key, math.nan) for run in runs])) if runs else math.nan


def all_cells(runs):
    """Every cell the records hold, in the report's order (kinds no longer in the design, as records of an
    earlier one may hold, last)."""
    networks, kinds = tuple(NETWORKS), blog.MODELS + ("crelu",) + PAPER_NEURONS + ("linear",)
    return sorted({cell_of(run) for run in runs}, key=lambda cell: (
        DATASETS.index(cell.dataset), networks.index(cell.architecture), cell.batch_size, cell.centred,
        _place(kinds, cell.kind), cell.kind, cell.init))


def _place(order, value):
    return order.index(value) if value in order else len(order)


def best_of(summaries, architecture, kind, batch_size, dataset="mnist"):
    """The summary of the kind's best init in that network at that batch size and data set, chosen on
    validation, among the main cells (not the controls: centred inputs, the positive init)."""
    mine = [summary for summary in summaries if summary["cell"][:2] == (architecture, kind)
            and summary["cell"].batch_size == batch_size and summary["cell"].dataset == dataset
            and not summary["cell"].centred and summary["cell"].init != "positive" and summary["test"]["n"]]
    return max(mine, key=lambda summary: summary["validation"]) if mine else None


def head_to_head(runs, summaries):
    """Per data set, network and batch size, multi at its best init and rate against central at its: test
    accuracy paired by seed (``stats.compare_models``), Holm's correction over each data set's cells."""
    results = []
    for dataset, architecture, batch in sorted({(cell.dataset, cell.architecture, cell.batch_size)
                                                for cell in all_cells(runs) if cell.kind in blog.MODELS}):
        central, multi = (best_of(summaries, architecture, kind, batch, dataset) for kind in blog.MODELS)
        if central is None or multi is None:
            continue
        results.append(_pair(runs, central, multi))
    for dataset in DATASETS:
        holm_over([result for result in results if result["dataset"] == dataset])
    return results


def _pair(runs, central, multi):
    """Central's and multi's cell summaries with ``multi - central`` paired by seed."""
    cell = multi["cell"]
    return {"dataset": cell.dataset, "architecture": cell.architecture, "batch_size": cell.batch_size,
            "centred": cell.centred, "central": central, "multi": multi,
            "test": stats.compare_models(*paired_accuracies(runs, central["cell"], cell))}


def holm_over(results):
    """Set each result's ``holm_p``: Holm's correction of its t-test p over ``results`` (one family)."""
    for result, adjusted in zip(results, stats.holm([result["test"]["t_p"] for result in results])):
        result["holm_p"] = adjusted
    return results


def signed_inputs(runs, summaries):
    """Multi against central where the inputs have both signs, so that the first multi layer is not
    linear: every MNIST-1D head-to-head cell, and MNIST with centred inputs; Holm over them."""
    results = [dict(result) for result in head_to_head(runs, summaries) if result["dataset"] != "mnist"]
    centred = {summary["cell"].kind: summary for summary in summaries
               if summary["cell"].centred and summary["cell"].architecture == "mlp" and summary["test"]["n"]}
    if set(blog.MODELS) <= set(centred):
        results.append(_pair(runs, centred["central"], centred["multi"]))
    return holm_over(results)


def paired_accuracies(runs, first, second):
    """Test accuracies of two cells' final runs over the seeds both have."""
    accuracies = [{run["seed"]: run["accuracy"] for run in final_runs(runs, cell)}
                  for cell in (first, second)]
    seeds = sorted(set(accuracies[0]) & set(accuracies[1]))
    return [[accuracy[seed] for seed in seeds] for accuracy in accuracies]


APPROXIMATIONS = (("paper", "heaviside", "a bias added"),  # the blog's, one at a time
                  ("heaviside", "relu_thresholds", "ReLU for the step"),
                  ("relu_thresholds", "multi", "thresholds fixed at 0"))


def approximations(runs, summaries, dataset):
    """The blog's approximations of the paper's neuron, one step at a time in the MLP at ``PAPER_BATCH``:
    each step's test accuracy (after - before) paired by seed, with Holm's correction over the steps."""
    steps = []
    for before, after, change in APPROXIMATIONS:
        pair = [best_of(summaries, "mlp", kind, PAPER_BATCH, dataset) for kind in (before, after)]
        if None not in pair:
            test = stats.paired_test(*paired_accuracies(runs, pair[0]["cell"], pair[1]["cell"]), margin=0.0)
            steps.append({"before": pair[0], "after": pair[1], "change": change, "test": test})
    for step, adjusted in zip(steps, stats.holm([step["test"]["t_p"] for step in steps])):
        step["holm_p"] = adjusted
    return steps


# ---- the init check: statistics of every hidden layer at initialisation


def init_check(calibration, images, seed=SEEDS[0]):
    """Mean and variance of every hidden layer's outputs at initialisation on ``images``, for each
    per-synapse neuron and init of the study; ``derived`` layers are set on the ``calibration`` images
    (``minibatch.derive_init``), which it promises to centre with unit variance (ReLU)."""
    from mtneuron.train import minibatch

    networks = [("mlp", "multi", init) for init in ("scaled", "derived", "positive")]
    networks += [("cnn", "multi", "derived")] + [("mlp", kind, "derived") for kind in PAPER_NEURONS]
    networks += [("mlp", "central", "scaled")]
    return [dict(architecture=architecture, kind=kind, init=init, images=len(images),
                 layers=_layer_statistics(minibatch.build_graph(architecture, kind, init, seed=seed),
                                          calibration, images))
            for architecture, kind, init in networks]


def _layer_statistics(model, calibration, images):
    """``{"mean", "variance"}`` of each hidden output of ``model`` over ``images`` and units."""
    from mtneuron.tf1 import tf
    from mtneuron.train import minibatch

    with tf.Session(graph=model.graph) as session:
        session.run(model.init)
        minibatch.derive_init(session, model, calibration)
        outputs = session.run(model.hidden, {model.inputs: images})
    return [{"mean": float(np.mean(output, dtype=np.float64)),
             "variance": float(np.var(output, dtype=np.float64))} for output in outputs]


def write_init_check(data_dir, out_dir, count=1000):
    """Run ``init_check`` on ``count`` training images after the calibration images, into
    ``init_check.json``; return its path."""
    from mtneuron import data
    from mtneuron.train import minibatch

    path = os.path.join(out_dir, INIT_CHECK)
    images = data.read_data_sets(data_dir).train.images
    first = minibatch.CALIBRATION_IMAGES
    records.write_json(path, {"checks": init_check(images[:first], images[first:first + count])})
    return path


# ---- the report


def write_report(out_dir):
    """Write ``summary.md`` and the two figures of the records in ``out_dir``; returns their paths."""
    runs = records.load_records(out_dir)
    if not any(run["seed"] == SEARCH_SEED for run in runs):
        raise records.RecordError("no search runs (seed %d) in %s: records of an earlier design of the "
                                  "comparison, which searched with a final seed; re-run mtneuron compare "
                                  "into a new --out" % (SEARCH_SEED, out_dir))
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
    lines += _side_by_side_markdown(runs, summaries)
    lines += _head_to_head_markdown(head_to_head(runs, summaries))
    lines += _head_to_head_markdown(signed_inputs(runs, summaries), "Inputs with both signs: MNIST-1D and "
                                    "centred MNIST, where the first multi layer is not linear", "these rows")
    lines += ["## Every cell", "", _cells_table(summaries), "",
              "Figures: `%s` (validation accuracy of the search against the rate; the final seeds' test "
              "accuracies at the chosen rate), `%s` (test accuracy of every seed)."
              % (RATE_FIGURE, TEST_FIGURE),
              ""]
    lines += _approximations_markdown(runs, summaries)
    lines += _paper_markdown(summaries) + _linear_markdown(summaries)
    lines += [] if check is None else _check_markdown(check)
    lines += ["## Provenance", ""] + markdown.bullets(markdown.provenance(runs))
    return "\n".join(lines) + "\n"


def _setup(runs):
    """How the cells were searched, trained and scored."""
    grid, past = _grid(runs)
    budgets = sorted({(cell.dataset, cell.n_epochs, cell.patience) for cell in all_cells(runs)},
                     key=lambda budget: DATASETS.index(budget[0]))
    return ("Each cell (data set, network, hidden neuron, init, batch size) picks its learning rate by the "
            "best validation accuracy of one run per rate with the search's own seed (%d, never a final "
            "seed): every cell searched %s, and a cell whose best rate lay on an end of its grid searched "
            "past it on the 1-3-10 sequence (rates only some cells searched: %s). The chosen rate is then "
            "trained with every final seed and scored once on the test set. Every run stops early: %s; the "
            "parameters of the best validation epoch are put back and scored there. Adam; MNIST: 55,000 "
            "training, 5,000 "
            "validation, 10,000 test images; MNIST-1D: 3,500, 500 and 1,000 signals. Inits: `scaled` He "
            "hidden and Glorot output kernels, zero biases; `derived` the per-synapse init of the README "
            "(centred, unit variance); `positive` derived with a first kernel >= 0. Intervals are 95%% "
            "t-intervals over seeds; paired tests pair equal seeds (the same data order)."
            % (SEARCH_SEED, ", ".join(map(records.format_rate, grid)),
               ", ".join(map(records.format_rate, past)) or "none",
               "; ".join("%s at most %d epochs, patience %s" % (DATA_NAMES[dataset], epochs, patience)
                         for dataset, epochs, patience in budgets)))


def _grid(runs):
    """The rates every cell searched, and those only some searched (past an end of a grid; the records do not
    say which grid a study was given)."""
    searched = [{run["learning_rate"] for run in search_runs(runs, cell)} for cell in all_cells(runs)]
    grid = set.intersection(*searched)
    return sorted(grid), sorted(set.union(*searched) - grid)


def _group(cell):
    """``MNIST: MLP (the paper's neurons)``: the data set and the kind of network a cell belongs to."""
    network = NETWORKS[cell.architecture] + (" (the paper's neurons)" if cell.kind in PAPER_NEURONS else "")
    return "%s: %s" % (DATA_NAMES[cell.dataset], network)


def _group_order(group):
    data, network = group.split(": ")
    return list(DATA_NAMES.values()).index(data), GROUP_ORDER.index(network)


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
    rows = [[_data(summary["cell"]), NETWORKS[summary["cell"].architecture], LABELS[summary["cell"].kind],
             summary["cell"].init, "%d" % summary["cell"].batch_size, _epochs(summary), _rate(summary),
             markdown.number(summary["search_validation"]), _accuracy(summary), "%d" % summary["test"]["n"],
             "%d" % summary["diverged"], "%.0f" % summary["us_per_step"]] for summary in summaries]
    return markdown.table(["data", "network", "neuron", "init", "batch", "epochs: trained (best), cap",
                           "rate", "search validation", "test accuracy", "seeds", "diverged", "us/step"],
                          rows)


def _data(cell):
    return DATA_NAMES[cell.dataset] + (" centred" if cell.centred else "")


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


# ---- the figures


def _panels(runs):
    """One panel per group of cells (``_group``) and batch size, in the report's order."""
    return sorted({(_group(cell), cell.batch_size) for cell in all_cells(runs)},
                  key=lambda panel: (_group_order(panel[0]), panel[1]))


def rate_figure(runs):
    """Validation error of every search against the learning rate (log-log): colour is the neuron, line
    the init; the chosen rate circled, the final seeds' test errors as crosses at it."""
    panels = _panels(runs)
    columns = min(3, len(panels))
    rows = (len(panels) + columns - 1) // columns
    figure = Figure(figsize=(4.8 * columns, 3.6 * rows + 1.2))
    axes = figure.subplots(rows, columns, squeeze=False, sharey=True).ravel()
    for axis, (group, batch) in zip(axes, panels):
        for cell in all_cells(runs):
            if (_group(cell), cell.batch_size) == (group, batch):
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
    axis.plot([run["learning_rate"] for run in searched], [_error(_validation(run)) for run in searched],
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
    summaries = [cell_summary(runs, cell) for cell in all_cells(runs)]
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
        if row and (cell.architecture, cell.batch_size) != (summaries[row - 1]["cell"].architecture,
                                                             summaries[row - 1]["cell"].batch_size):
            axis.axhline(row - 0.5, color="0.75", linewidth=0.8)
    axis.set_yticks(range(len(summaries)))
    axis.set_yticklabels(["%s b%d: %s, %s (rate %s)" % (
        NETWORKS[summary["cell"].architecture], summary["cell"].batch_size, LABELS[summary["cell"].kind],
        summary["cell"].init, records.format_rate(summary["rate"])) for summary in summaries], fontsize=8)
    axis.invert_yaxis()
    axis.grid(True, axis="x", color="0.9")
    axis.set_xlabel("test accuracy")
    axis.set_title("Test accuracy at each cell's chosen rate: seeds, mean (|), 95% interval (line)",
                   fontsize=10)
    figure.tight_layout()
    return figure
