"""A run of the blog's experiment: ``RunSpec``, the spec every batch-1 engine trains, the sweep of them a
command asks for (``expand``), and queries over their records by model, learning rate and seed. Imports no
TensorFlow."""

import dataclasses
import itertools

from mtneuron import blog
from mtneuron.run.records import Spec, format_rate, seed_suffix


@dataclasses.dataclass(frozen=True)
class RunSpec(Spec):
    """A run of the blog's experiment: everything that determines its numbers."""

    model: str
    learning_rate: float = blog.LEARNING_RATE
    seed: int = blog.SEED
    n_epochs: int = blog.EPOCHS
    n_examples: int = blog.TRAIN_EXAMPLES
    hidden_sizes: tuple = blog.HIDDEN_SIZES
    average_every: int = blog.AVERAGE_EVERY
    test_examples: int = blog.TEST_EXAMPLES
    engine: str = blog.DEFAULT_ENGINE
    measure: bool = True  # per-step measurements (for the claims study); every record before them took them

    @property
    def filename(self):
        """``run_{model}_{rate}.json``, with ``_seed{seed}`` before ``.json`` unless the blog's seed."""
        return "run_%s_%s%s.json" % (self.model, format_rate(self.learning_rate), seed_suffix(self.seed))


def expand(models, learning_rates, seeds=(blog.SEED,), **settings):
    """One ``RunSpec`` per (seed, learning rate, model), rates ascending, sharing ``settings``."""
    return [RunSpec(model=model, learning_rate=rate, seed=seed, **settings)
            for seed, rate, model in itertools.product(seeds, sorted(set(learning_rates)), models)]


def learning_rates(runs):
    """The learning rates of ``runs``, ascending."""
    return sorted({run["learning_rate"] for run in runs})


def models(runs):
    """The models of ``runs``, in the blog's order."""
    return [model for model in blog.MODELS if any(run["model"] == model for run in runs)]


def cell(runs, model, learning_rate):
    """The runs of ``model`` at ``learning_rate``, one per seed, sorted by seed."""
    return sorted((run for run in runs if run["model"] == model and run["learning_rate"] == learning_rate),
                  key=lambda run: run["seed"])


def same_run(runs, run):
    """The run of ``runs`` with ``run``'s model, learning rate and seed, or None."""
    return next((other for other in cell(runs, run["model"], run["learning_rate"])
                 if other["seed"] == run["seed"]), None)


def seed_counts(runs):
    """The numbers of seeds per cell, as text: ``10`` or ``5-10``."""
    counts = sorted({len(cell(runs, model, rate)) for model in models(runs) for rate in learning_rates(runs)}
                    - {0})
    return "%d" % counts[0] if len(counts) == 1 else "%d-%d" % (counts[0], counts[-1])
