"""The comparison's design: its grid, seeds, budgets and cells, and ``Settings``, the one object that
configures a study (its defaults are the committed study)."""

import collections
import dataclasses

from mtneuron import blog
from mtneuron.run import records
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
EXTENSIONS = 3  # rates searched past an end of the grid while a cell's best rate lies on that end
LONGER = 2  # times a final run that hit the cap trains again at twice the cap
NETWORKS = {"mlp": "MLP", "mlp1": "MLP 784-87-10", "cnn": "CNN", "linear": "Linear"}
DATA_NAMES = {"mnist": "MNIST", "mnist1d": "MNIST-1D"}
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


@dataclasses.dataclass(frozen=True)
class Settings:
    """The study's design; the defaults are the committed study (every group on both data sets, the grid
    and its extensions, five final seeds, the runs that hit the cap trained again at twice it).
    ``max_epochs`` and ``patience`` are per data set."""

    groups: tuple = GROUPS
    datasets: tuple = DATASETS
    batch_sizes: tuple = BATCH_SIZES
    rates: tuple = RATES
    seeds: tuple = SEEDS
    max_epochs: dict = dataclasses.field(default_factory=lambda: dict(MAX_EPOCHS))
    patience: dict = dataclasses.field(default_factory=lambda: dict(PATIENCE))
    n_examples: int = blog.TRAIN_EXAMPLES
    extensions: int = EXTENSIONS
    longer: int = LONGER


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


def cell_name(cell):
    """``MNIST MLP multi ReLU (derived init), batch 128``: a cell without its budget."""
    return "%s %s %s (%s init), batch %d" % (data_label(cell), NETWORKS[cell.architecture], LABELS[cell.kind],
                                             cell.init, cell.batch_size)


def data_label(cell):
    """``MNIST``, ``MNIST centred`` or ``MNIST-1D``: the data a cell trains on."""
    return DATA_NAMES[cell.dataset] + (" centred" if cell.centred else "")
