"""Part II, which the blog promised: minibatch training of multi- and central-threshold MLPs and CNNs.

The study's specs, the check that a multi-threshold layer on pixels is linear, and its report
(``summary.md``, ``learning_curves.png``); the networks and their training loop are ``minibatch``'s.
Importing it imports no TensorFlow, because the sweep's parent process and the report never need
TensorFlow and ``minibatch.prefer_onednn`` must run before it starts.
"""

import dataclasses
import itertools
import os

import numpy as np
from matplotlib.figure import Figure

from mtneuron import blog, data
from mtneuron.networks import CONVOLUTION_FILTERS
from mtneuron.run import files, markdown, records
from mtneuron.train.minibatch import MinibatchSpec

CURVES_FIGURE = "learning_curves.png"
SUMMARY = "summary.md"
LINEARITY_CHECK = "nonnegative_check.json"
INIT_STYLES = {"blog": ":", "scaled": "-"}


@dataclasses.dataclass(frozen=True)
class Settings:
    """Part II's design; the defaults are the committed study (a tuple's default lists every choice)."""

    architectures: tuple = ("mlp", "cnn")
    kinds: tuple = blog.MODELS
    batch_sizes: tuple = (1, 32, 128)
    inits: tuple = ("blog", "scaled")
    learning_rate: float = blog.LEARNING_RATE
    seed: int = blog.SEED
    n_epochs: int = 2
    n_examples: int = blog.TRAIN_EXAMPLES


def specs(settings=Settings()):
    """One ``MinibatchSpec`` per architecture, batch size, init and kind, in that order."""
    cells = itertools.product(settings.architectures, settings.batch_sizes, settings.inits, settings.kinds)
    return [MinibatchSpec(architecture=architecture, kind=kind, batch_size=batch, init=init,
                          learning_rate=settings.learning_rate, seed=settings.seed,
                          n_epochs=settings.n_epochs, n_examples=settings.n_examples)
            for architecture, batch, init, kind in cells]


# ---- a multi-threshold layer on pixels is linear


def nonnegative_linearity(images, seed=blog.SEED, pairs=1000):
    """Measure that the blog's first multi-threshold layer is linear on pixels, and a ReLU layer is not.

    For ``x >= 0``, ``sum_i relu(W_ji x_i) = sum_i relu(W_ji) x_i``, so the layer is the linear map
    ``relu(W) x + b``. This draws ``pairs`` random pairs of images and weights ``a, b >= 0``. For the
    blog's multi- and central-threshold first layers it returns the largest relative deviation of
    ``f(a x + b y) - b_1`` from ``a (f(x) - b_1) + b (f(y) - b_1)``. For the multi layer it also
    returns the largest relative deviation from ``relu(W) x + b``.
    """
    rng = np.random.RandomState(seed)
    first, second = (images[rng.randint(0, len(images), pairs)] for _ in range(2))
    weights = rng.rand(2, pairs, 1).astype(np.float32)
    mixed = weights[0] * first + weights[1] * second
    result = {"pairs": pairs}
    for kind in ("multi", "central"):
        outputs, kernel = _first_layer(kind, seed, (first, second, mixed))
        if kind == "multi":
            result["multi_vs_relu_w_x"] = _relative(outputs[0], first @ np.maximum(kernel, 0).T)
        combined = weights[0] * outputs[0] + weights[1] * outputs[1]
        result[kind + "_additivity"] = _relative(outputs[2], combined)
    return result


def _first_layer(kind, seed, batches):
    """The blog network's first hidden layer, minus its bias, on every image of every batch (fed one
    at a time as the blog does), and the layer's kernel ``W_01``."""
    from mtneuron import models
    from mtneuron.tf1 import tf

    model = models.build_graph(kind, seed=seed)
    shape = model.inputs.shape.as_list()
    with tf.Session(graph=model.graph) as session:
        session.run(model.init)
        kernel, bias = session.run(model.parameters[:2])
        outputs = [np.stack([session.run(model.hidden[0], {model.inputs: image.reshape(shape)}).reshape(-1)
                             for image in batch]) - bias for batch in batches]
    return outputs, kernel


def _relative(actual, expected):
    """The largest ``|actual - expected|``, relative to the largest ``|expected|`` of its row."""
    scale = np.maximum(np.abs(expected).max(axis=1, keepdims=True), 1e-30)
    return float((np.abs(actual - expected) / scale).max())


def write_linearity_check(data_dir, out_dir, seed=blog.SEED):
    """Run ``nonnegative_linearity`` on the MNIST test images and write it to
    ``out_dir/nonnegative_check.json``. Returns the path."""
    path = os.path.join(out_dir, LINEARITY_CHECK)
    records.write_json(path, nonnegative_linearity(data.read_data_sets(data_dir).test.images, seed))
    return path


# ---- the report


def write_report(out_dir):
    """Write ``learning_curves.png`` and ``summary.md`` for the part-II records in ``out_dir``.
    Returns their paths."""
    runs = records.load_records(out_dir)
    paths = [os.path.join(out_dir, name) for name in (CURVES_FIGURE, SUMMARY)]
    files.save_figure(curves_figure(runs), paths[0])
    check = records.read_json(os.path.join(out_dir, LINEARITY_CHECK))
    files.write_text(paths[1], summary_markdown(runs, check))
    return paths


def curves_figure(runs):
    """Training accuracy per architecture (rows) and batch size (columns): one line per kind and init."""
    architectures = sorted({run["architecture"] for run in runs})
    batches = sorted({run["batch_size"] for run in runs})
    figure = Figure(figsize=(4 * len(batches), 3.5 * len(architectures) + 0.8))
    axes = figure.subplots(len(architectures), len(batches), squeeze=False, sharey=True)
    for (row, architecture), (column, batch) in itertools.product(enumerate(architectures),
                                                                  enumerate(batches)):
        _plot_curves(axes[row, column], [run for run in runs if run["architecture"] == architecture
                                         and run["batch_size"] == batch])
        axes[row, column].set_title("%s, batch size %d" % (architecture.upper(), batch))
    for axis in axes[:, 0]:
        axis.set_ylabel("training accuracy")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower center", ncol=4, frameon=False)
    figure.suptitle("Part II: minibatch training (means over every %s training examples)" % _points(runs))
    figure.tight_layout(rect=(0, 0.06, 1, 0.96))
    return figure


def _plot_curves(axis, runs):
    """The training accuracy curves of ``runs`` against epochs, one style per kind and init."""
    for run in runs:
        epochs = (np.arange(1, len(run["accuracies"]) + 1) * run["examples_per_point"]
                  / (run["n_examples"] // run["batch_size"] * run["batch_size"]))
        axis.plot(epochs, records.curve(run["accuracies"]), color=blog.COLORS[run["kind"]],
                  linestyle=INIT_STYLES[run["init"]],
                  label="%s, %s init" % (blog.LABELS[run["kind"]], run["init"]))
    axis.set_ylim(0, 1.01)
    axis.set_xlabel("epoch")


def _points(runs):
    """The examples per curve point as the records give them, e.g. ``1,100 (batch 1), 1,088 (batch 32)``."""
    points = sorted({(run["batch_size"], run["examples_per_point"]) for run in runs})
    if len({examples for _batch, examples in points}) == 1:
        return _thousands(points[0][1])
    return ", ".join("%s (batch %d)" % (_thousands(examples), batch) for batch, examples in points)


def summary_markdown(runs, check=None):
    """``summary.md`` of part II: the validation and test accuracy of every run, and the linearity check."""
    rows = [[run["architecture"].upper(), blog.LABELS[run["kind"]], run["init"], "%d" % run["batch_size"],
             "%.4f" % run["validation_accuracy"], "%.4f" % run["accuracy"],
             "yes" if run["diverged"] else "no", "%.0f" % run["wall_time_s"],
             "%.0f" % run["examples_per_second"]]
            for run in sorted(runs, key=lambda r: (r["architecture"], r["batch_size"], r["init"], r["kind"]))]
    lines = ["# Part II: minibatch multi-threshold networks", "", _setup_markdown(runs), "",
             markdown.table(["network", "hidden layers", "init", "batch", "validation", "test", "diverged",
                             "wall time (s)", "examples/s"], rows), "",
             "Figure: `%s`." % CURVES_FIGURE, ""]
    lines += [] if check is None else _linearity_markdown(check)
    lines += ["## Provenance", ""] + markdown.bullets(markdown.provenance(runs))
    return "\n".join(lines) + "\n"


def _setup_markdown(runs):
    """What the networks are and how they were trained and scored."""
    sizes = (blog.INPUT_SIZE,) + blog.HIDDEN_SIZES + (blog.NUM_CLASSES,)
    return ("MLP %s and a CNN (two 5x5 convolutions of %d and %d filters, each followed by 2x2 max "
            "pooling, then a linear output layer), with multi- or central-threshold hidden layers; Adam "
            "(learning rate %s), %d epoch(s) of %d training examples (of the %s), validation on the %s held "
            "out after every epoch, test on the %s test images. `blog` init: every kernel and bias N(0, 1) "
            "as in the blog; `scaled`: He (hidden) and Glorot (output) kernels, zero biases." % (
                "-".join("%d" % size for size in sizes), CONVOLUTION_FILTERS[0], CONVOLUTION_FILTERS[1],
                ", ".join(sorted({records.format_rate(run["learning_rate"]) for run in runs})),
                max(run["n_epochs"] for run in runs), max(run["n_examples"] for run in runs),
                _thousands(blog.TRAIN_EXAMPLES), _thousands(blog.VALIDATION_EXAMPLES),
                _thousands(blog.TEST_EXAMPLES)))


def _thousands(count):
    """``55,000``."""
    return f"{count:,}"


def _linearity_markdown(check):
    """The section on ``nonnegative_linearity``'s measurement ``check``."""
    return ["## A multi-threshold layer on pixels is linear", "",
            "For inputs x >= 0, sum_i relu(W_ji x_i) = sum_i relu(W_ji) x_i: the blog's first "
            "multi-threshold layer is the linear map relu(W) x + b with non-negative weights. "
            "Measured on %d random pairs of test images x, y and weights a, b in [0, 1) with the "
            "blog's initial weights: the largest relative deviation of f(ax + by) - b from "
            "a (f(x) - b) + b (f(y) - b) is %.2g for the multi-threshold layer and %.2g for the "
            "central-threshold (ReLU) layer; the multi-threshold layer differs from relu(W) x + b "
            "by at most %.2g (relative; float32 rounding)." % (
                check["pairs"], check["multi_additivity"], check["central_additivity"],
                check["multi_vs_relu_w_x"]), ""]
