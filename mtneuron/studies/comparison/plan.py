"""The runs to train, stage by stage: every cell's learning-rate search on the search's own seed, its
extensions past an end of the grid, every final seed at the chosen rate, then, for a cell whose final runs
hit the cap, those runs again at twice the cap."""

import math
import os

from mtneuron.run import records
from mtneuron.studies.comparison.config import SEARCH_SEED, cells, spec
from mtneuron.studies.comparison.runs import best_searched, chosen_rate, final_runs, hit_the_cap, search_runs


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
        rate = best_searched(search)["learning_rate"]
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


def longer_specs(chosen, runs, settings, doubling):
    """The final runs (of ``settings.seeds``) of ``chosen`` at the cap doubled ``doubling - 1`` times that
    hit it (they never stopped on validation: their plateau is not shown), again at the same rate and seed
    with the cap doubled once more. A seed that stopped on validation stands for itself at the longer cap
    (``runs.final_runs``)."""
    planned = []
    for base in chosen:
        cell = base._replace(n_epochs=base.n_epochs * 2 ** (doubling - 1))
        planned += [spec(cell._replace(n_epochs=2 * cell.n_epochs), run["learning_rate"], run["seed"],
                         settings.n_examples) for run in final_runs(runs, cell)
                     if hit_the_cap(run) and run["seed"] in settings.seeds]
    return planned


def stages(out_dir, settings):
    """The runs to train, stage by stage: the search and its extensions, every final seed, then the final
    runs that hit the cap at twice the cap, ``settings.longer`` times."""
    fixed = cells(settings)
    yield from _searches(fixed, out_dir, settings)
    yield final_specs(fixed, _records(out_dir), settings)
    for doubling in range(1, settings.longer + 1):
        yield longer_specs(fixed, _records(out_dir), settings, doubling)


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
