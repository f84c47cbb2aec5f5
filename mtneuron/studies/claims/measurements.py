"""What the claims study's records measured: per-step measurements over training, paired by seed."""

import math

import numpy as np

from mtneuron.blog_runs import cell
from mtneuron.run.records import curve

FAMILIES = (  # measurement family: (file name, what it is)
    ("units_nonzero", "fraction of hidden units with non-zero output"),
    ("units_positive", "fraction of hidden units with positive output"),
    ("synapses_positive", "fraction of synapses with W_ji x_i > 0 (multi-threshold layers)"),
    ("gradient_nonzero", "fraction of non-zero entries of each weight gradient"),
)


def measured(runs):
    """The runs that carry measurements (records from before measurements existed do not)."""
    return [run for run in runs if run.get("measurements")]


def measurement_names(runs, family):
    return sorted({name for run in measured(runs) for name in run["measurements"]
                   if name.startswith(family + "_")})


def over_training(run, name):
    """A measurement's mean over a run's training (all its windows of ``average_every`` examples)."""
    values = curve(run["measurements"].get(name, []))
    values = values[np.isfinite(values)]
    return float(np.mean(values)) if values.size else math.nan


def paired(runs, rate, value):
    """``(central, multi)`` lists of ``value(run)`` over the seeds both models have at ``rate``."""
    central = {run["seed"]: run for run in cell(runs, "central", rate)}
    multi = {run["seed"]: run for run in cell(runs, "multi", rate)}
    seeds = sorted(set(central) & set(multi))
    return [value(central[seed]) for seed in seeds], [value(multi[seed]) for seed in seeds]



def values_text(runs, key):
    """``4`` or ``2/4``: the values ``key`` takes over ``runs``."""
    return "/".join(str(value) for value in sorted({run[key] for run in runs}))
