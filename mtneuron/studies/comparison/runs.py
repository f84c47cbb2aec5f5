"""What the records say of a cell: its search, chosen rate and final runs, its summary, and the paired
comparisons the report and the claims draw (multi against central, the blog's approximations)."""

import math

import numpy as np

from mtneuron import blog
from mtneuron.run import stats
from mtneuron.studies.comparison.config import (
    DATASETS,
    NETWORKS,
    PAPER_BATCH,
    PAPER_NEURONS,
    SEARCH_SEED,
    Cell,
)


def cell_of(run):
    """The ``Cell`` a record belongs to."""
    return Cell(run["architecture"], run["kind"], run["init"], run["batch_size"], run["n_epochs"],
                run.get("patience"), run.get("dataset", "mnist"), run.get("centred", False))


def search_runs(runs, cell):
    """The cell's search: its runs with the search's seed, one per rate, by rate. A cell trained again at a
    longer cap (``plan.longer_specs``) has no search of its own: it takes the one at the longest cap below."""
    searched = [run for run in runs if run["seed"] == SEARCH_SEED and run["n_epochs"] <= cell.n_epochs
                and same_but_cap(cell_of(run), cell)]
    cap = max((run["n_epochs"] for run in searched), default=None)
    return sorted((run for run in searched if run["n_epochs"] == cap), key=lambda run: run["learning_rate"])


def same_but_cap(cell, other):
    """Whether two cells differ at most in their cap (``n_epochs``)."""
    return _uncapped(cell) == _uncapped(other)


def _uncapped(cell):
    """``cell`` with its cap blanked: what a cell trained at several caps has in common."""
    return cell._replace(n_epochs=0)


def longest(summaries):
    """The summaries with final runs, each cell at its longest cap (the one the comparisons take)."""
    trained = [summary for summary in summaries if summary["test"]["n"]]
    return [summary for summary in trained
            if not superseded(summary["cell"], [other["cell"] for other in trained])]


def superseded(cell, cells):
    """Whether ``cells`` hold ``cell`` trained again at a longer cap: its finals hit their cap, so the
    comparisons take the longer one."""
    return any(same_but_cap(other, cell) and other.n_epochs > cell.n_epochs for other in cells)


def extends(cell, cells):
    """Whether ``cell`` is one of ``cells`` trained again at a longer cap."""
    return any(same_but_cap(other, cell) and other.n_epochs < cell.n_epochs for other in cells)


def repeated(runs):
    """How many final runs trained at two caps (same cell, rate and seed), and how many of them repeat the
    shorter run's validation accuracies exactly over its epochs: the check that the cap alone changes
    nothing before it is reached."""
    groups = {}
    for run in runs:
        if run["seed"] != SEARCH_SEED:
            key = (_uncapped(cell_of(run)), run["learning_rate"], run["seed"])
            groups.setdefault(key, []).append(run)
    pairs = [pair for group in groups.values() for pair in _consecutive(group)]
    return len(pairs), sum(longer["validation_accuracies"][:len(shorter["validation_accuracies"])]
                           == shorter["validation_accuracies"] for shorter, longer in pairs)


def _consecutive(group):
    """The runs of one seed by cap, in pairs of consecutive caps."""
    ordered = sorted(group, key=lambda run: run["n_epochs"])
    return list(zip(ordered, ordered[1:]))


def hit_the_cap(run):
    """Whether a run trained to its cap without stopping on validation (its best epoch lay less than
    ``patience`` epochs before the cap): its plateau is not shown."""
    patience = run.get("patience")
    return (patience is not None and run.get("epochs_trained") == run["n_epochs"]
            and run["n_epochs"] - run["best_epoch"] < patience)


def chosen_rate(runs, cell):
    """The searched rate with the best final validation accuracy (the smaller rate on a tie) and that
    accuracy; ``(None, None)`` before the search has a record. A diverged run scores what it scored."""
    searched = search_runs(runs, cell)
    if not searched:
        return None, None
    best = best_searched(searched)
    return best["learning_rate"], validation_of(best)


def best_searched(searched):
    """The search run with the best final validation accuracy, the smaller rate on a tie."""
    return max(searched, key=lambda run: (validation_of(run), -run["learning_rate"]))


def validation_of(run):
    """The final validation accuracy, NaN-safe (a NaN counts as 0)."""
    value = run["validation_accuracy"]
    return value if value is not None and math.isfinite(value) else 0.0


def final_runs(runs, cell):
    """The cell's runs at its chosen rate, one per final seed. A seed with no run at the cell's cap takes its
    run at a shorter cap that stopped on validation: the cap never came into play, so it is the same run."""
    rate, _accuracy = chosen_rate(runs, cell)
    trained = [run for run in runs if run["learning_rate"] == rate and run["seed"] != SEARCH_SEED
               and run["n_epochs"] <= cell.n_epochs and same_but_cap(cell_of(run), cell)]
    by_seed = {run["seed"]: run for run in sorted(trained, key=lambda run: run["n_epochs"])}  # longest wins
    return [run for _seed, run in sorted(by_seed.items())
            if run["n_epochs"] == cell.n_epochs or not hit_the_cap(run)]


def cell_summary(runs, cell):
    """What the report says of a cell: the chosen rate, whether it lies on the grid's edge, the test
    accuracy over seeds (``stats.describe``), the mean final validation accuracy and the cost per step."""
    searched = search_runs(runs, cell)
    rate, validation = chosen_rate(runs, cell)
    final = final_runs(runs, cell)
    rates = [run["learning_rate"] for run in searched]
    return {"cell": cell, "rate": rate, "edge": len(rates) > 1 and rate in (rates[0], rates[-1]),
            "search_validation": validation, "test": stats.describe([run["accuracy"] for run in final]),
            "validation": float(np.mean([validation_of(run) for run in final])) if final else math.nan,
            "us_per_step": _mean_of(final, "us_per_step"),
            "epochs": _mean_of(final, "epochs_trained"), "best_epoch": _mean_of(final, "best_epoch"),
            "capped": sum(hit_the_cap(run) for run in final),
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
        _place(kinds, cell.kind), cell.kind, cell.init, cell.n_epochs))


def _place(order, value):
    return order.index(value) if value in order else len(order)


def best_of(summaries, architecture, kind, batch_size, dataset="mnist"):
    """The summary of the kind's best init in that network at that batch size and data set, chosen on
    validation, among the main cells (not the controls: centred inputs, the positive init), each at its
    longest cap."""
    mine = [summary for summary in longest(summaries) if summary["cell"][:2] == (architecture, kind)
            and summary["cell"].batch_size == batch_size and summary["cell"].dataset == dataset
            and not summary["cell"].centred and summary["cell"].init != "positive"]
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
    centred = {summary["cell"].kind: summary for summary in longest(summaries)
               if summary["cell"].centred and summary["cell"].architecture == "mlp"}
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
