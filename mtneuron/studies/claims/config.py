"""The claims study's design: ``Settings``, whose defaults are the committed study."""

import dataclasses

from mtneuron import blog


@dataclasses.dataclass(frozen=True)
class Settings:
    """Both models at the blog's learning rates over ``seeds``, and over the wide ``grid_rates`` over
    ``grid_seeds``, with the per-step measurements."""

    rates: tuple = blog.LEARNING_RATES
    seeds: tuple = tuple(range(1, 11))
    grid_rates: tuple = (0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1)
    grid_seeds: tuple = tuple(range(1, 6))
