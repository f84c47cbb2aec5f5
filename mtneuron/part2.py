"""Part II, which the blog promised: minibatch training of multi- and central-threshold MLPs and CNNs.

The whole study is here: its specs, its networks, the training loop, the check that a
multi-threshold layer on pixels is linear, and its report (``summary.md``, ``learning_curves.png``).
Importing it imports no TensorFlow, because the sweep's parent process and the report never need
TensorFlow and ``prefer_onednn`` must run before it starts. The functions that build or run graphs
import it when they are called.
"""

import collections
import dataclasses
import itertools
import math
import os
import time

import numpy as np
from matplotlib.figure import Figure

from mtneuron import blog, data, files, markdown, records
from mtneuron.data import DataSet

ARCHITECTURES = ("mlp", "cnn")
INITS = ("blog", "scaled")
BATCH_SIZES = (1, 32, 128)
EPOCHS = 2
EVALUATION_BATCH = 500
CONVOLUTION_FILTERS = (16, 32)  # two 5x5 convolutions, each followed by 2x2 max pooling
CURVES_FIGURE = "learning_curves.png"
SUMMARY = "summary.md"
LINEARITY_CHECK = "nonnegative_check.json"
INIT_STYLES = {"blog": ":", "scaled": "-"}


@dataclasses.dataclass(frozen=True)
class MinibatchSpec(records.Spec):
    """A part-II run: a multi- or central-threshold MLP or CNN trained with minibatches."""

    architecture: str
    kind: str
    batch_size: int
    init: str = "scaled"
    learning_rate: float = blog.LEARNING_RATE
    seed: int = blog.SEED
    n_epochs: int = EPOCHS
    n_examples: int = blog.TRAIN_EXAMPLES
    average_every: int = blog.AVERAGE_EVERY

    @property
    def filename(self):
        """``run_{architecture}_{kind}_{init}_b{batch}.json``, with ``_seed{seed}`` unless the blog's."""
        return "run_%s_%s_%s_b%d%s.json" % (self.architecture, self.kind, self.init, self.batch_size,
                                            records.seed_suffix(self.seed))


def specs(architectures=ARCHITECTURES, kinds=blog.MODELS, batch_sizes=BATCH_SIZES, inits=INITS,
          learning_rate=blog.LEARNING_RATE, seed=blog.SEED, n_epochs=EPOCHS, n_examples=blog.TRAIN_EXAMPLES):
    """One ``MinibatchSpec`` per architecture, batch size, init and kind, in that order."""
    return [MinibatchSpec(architecture=architecture, kind=kind, batch_size=batch, init=init,
                          learning_rate=learning_rate, seed=seed, n_epochs=n_epochs, n_examples=n_examples)
            for architecture, batch, init, kind
            in itertools.product(architectures, batch_sizes, inits, kinds)]


def prefer_onednn():
    """Let TensorFlow use oneDNN's faster kernels unless the environment already says otherwise.

    ``tf1`` turns oneDNN off to match TF 1.15's numbers, but part II has no such numbers to match.
    Call this before TensorFlow is imported. Workers inherit the setting, and every record stores it.
    """
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")


# ---- the networks

MinibatchGraph = collections.namedtuple(
    "MinibatchGraph", ["graph", "inputs", "target", "logits", "loss", "accuracy", "train_op", "init"])
MinibatchGraph.__doc__ = """Tensors and ops of a part-II network, which takes batches of any size."""


def build_graph(architecture, kind, init="scaled", learning_rate=blog.LEARNING_RATE, seed=blog.SEED):
    """Build an MLP (784-251-87-10) or a small CNN with ``kind`` hidden layers in a new ``tf.Graph``.

    ``kind`` is "multi" or "central". With ``init="blog"`` every kernel and bias is drawn from
    N(0, 1), as in the blog. With ``"scaled"`` the hidden layers get He initialisation, the linear
    output layer Glorot initialisation, and every bias is zero.
    """
    from mtneuron import layers
    from mtneuron.models import loss_and_accuracy
    from mtneuron.tf1 import tf

    if architecture not in ARCHITECTURES or kind not in blog.MODELS or init not in INITS:
        raise ValueError("unknown network %r/%r/%r: architectures %s, kinds %s, inits %s" % (
            architecture, kind, init, ARCHITECTURES, blog.MODELS, INITS))
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(seed)
        inputs = tf.placeholder(tf.float32, shape=(None, blog.INPUT_SIZE), name="images")
        target = tf.placeholder(tf.float32, shape=(None, blog.NUM_CLASSES), name="labels")
        hidden, output = _initializers(init)
        features = (_mlp_features if architecture == "mlp" else _cnn_features)(inputs, kind, hidden)
        logits = layers.CentralThresholdDense(blog.NUM_CLASSES, activation=tf.identity, name="output",
                                              **output)(features)
        loss, accuracy = loss_and_accuracy(logits, target)
        train_op = tf.train.AdamOptimizer(learning_rate).minimize(loss)
        init_op = tf.global_variables_initializer()
    return MinibatchGraph(graph, inputs, target, logits, loss, accuracy, train_op, init_op)


def _initializers(init):
    """The keyword arguments for the hidden modules and for the output module."""
    from mtneuron.tf1 import tf

    if init == "blog":
        normal = tf.random_normal_initializer(0.0, 1.0)
        blog_init = {"kernel_initializer": normal, "bias_initializer": normal}
        return blog_init, blog_init
    return {}, {"kernel_initializer": tf.glorot_uniform_initializer()}


def _mlp_features(inputs, kind, initializers):
    """Hidden dense layers. A multi-threshold first layer knows that its inputs (pixels) are >= 0."""
    from mtneuron import layers

    signal = inputs
    for index, units in enumerate(blog.HIDDEN_SIZES):
        name = "hidden%d" % (index + 1)
        if kind == "multi":
            layer = layers.MultiThresholdDense(units, nonnegative_inputs=index == 0, name=name,
                                               **initializers)
        else:
            layer = layers.CentralThresholdDense(units, name=name, **initializers)
        signal = layer(signal)
    return signal


def _cnn_features(inputs, kind, initializers):
    """Two 5x5 convolutions, each followed by 2x2 max pooling, then flattened."""
    from mtneuron import layers
    from mtneuron.tf1 import tf

    convolution = layers.MultiThresholdConv2D if kind == "multi" else layers.CentralThresholdConv2D
    signal = tf.reshape(inputs, (-1,) + blog.IMAGE_SHAPE + (1,))
    for index, filters in enumerate(CONVOLUTION_FILTERS):
        signal = convolution(filters, 5, name="conv%d" % (index + 1), **initializers)(signal)
        signal = tf.nn.max_pool(signal, [1, 2, 2, 1], [1, 2, 2, 1], "SAME")
    size = (blog.IMAGE_SHAPE[0] // 4) * (blog.IMAGE_SHAPE[1] // 4) * CONVOLUTION_FILTERS[-1]
    return tf.reshape(signal, (-1, size))


# ---- training


def train(spec, datasets, context):
    """Train and evaluate one part-II network and return its run record (a dict).

    An epoch is ``n_examples // batch_size`` batches from ``next_batch(batch_size, shuffle=True)``
    of a ``DataSet`` seeded with the run's seed. Each curve point is the mean of
    ``average_every // batch_size`` batches, and the windows run on across epochs. The validation set
    is scored after every epoch and the test set once at the end. A non-finite loss ends training.
    """
    from mtneuron.tf1 import tf
    from mtneuron.training import Curves, complete_record, session_config

    started = time.time()
    model = build_graph(spec.architecture, spec.kind, spec.init, spec.learning_rate, spec.seed)
    steps_per_epoch = min(spec.n_examples, datasets.train.num_examples) // spec.batch_size
    curves = Curves(spec.n_epochs * steps_per_epoch * spec.batch_size, spec.name,
                    tensorboard_dir=context.tensorboard_dir, progress=context.progress,
                    position=context.position)
    window = _Window(curves, max(1, spec.average_every // spec.batch_size))
    with tf.Session(graph=model.graph, config=session_config(context.threads)) as session:
        session.run(model.init)
        validation, examples = _train_epochs(session, model, spec, datasets, window, steps_per_epoch)
        train_time = time.time() - started
        test_accuracy = evaluate(session, model, datasets.test)
    curves.close()
    return complete_record(dict(
        spec.to_dict(), losses=curves.losses, accuracies=curves.accuracies,
        validation_accuracies=validation, validation_accuracy=validation[-1], accuracy=test_accuracy,
        diverged=window.diverged, examples_per_point=window.batches * spec.batch_size, examples=examples,
        examples_per_second=examples / train_time), spec, started, train_time, context.threads)


def _train_epochs(session, model, spec, datasets, window, steps_per_epoch):
    """Train epoch after epoch and score the validation set after each one, stopping after a non-finite
    loss. Returns the validation accuracies and the number of examples trained."""
    order = DataSet(datasets.train.images, datasets.train.labels, seed=spec.seed)
    fetches = [model.train_op, model.loss, model.accuracy]
    validation, examples = [], 0
    for _ in range(spec.n_epochs):
        for _ in range(steps_per_epoch):
            images, labels = order.next_batch(spec.batch_size, shuffle=True)
            _, loss, accuracy = session.run(fetches, feed_dict={model.inputs: images, model.target: labels})
            examples += spec.batch_size
            if not window.add(loss, accuracy, examples):
                break
        validation.append(evaluate(session, model, datasets.validation))
        window.curves.scalars(examples, validation_accuracy=validation[-1])
        if window.diverged:
            break
    return validation, examples


class _Window:
    """The batches since the last curve point. Every ``batches`` batches, or after a non-finite loss,
    their means become a point of ``curves``."""

    def __init__(self, curves, batches):
        self.curves, self.batches = curves, batches
        self.losses, self.accuracies = [], []
        self.diverged = False

    def add(self, loss, accuracy, examples):
        """Add one batch's loss and accuracy. Returns whether training goes on (the loss is finite)."""
        self.losses.append(loss)
        self.accuracies.append(accuracy)
        self.diverged = not math.isfinite(loss)
        if len(self.losses) == self.batches or self.diverged:
            self.curves.add((self.losses, self.accuracies), examples)
            self.curves.advance(examples)
            self.losses, self.accuracies = [], []
        return not self.diverged


def evaluate(session, model, dataset, batch_size=EVALUATION_BATCH):
    """Accuracy over a whole data set, scored in batches (the networks take any batch size)."""
    correct = 0.0
    for start in range(0, dataset.num_examples, batch_size):
        feed = {model.inputs: dataset.images[start:start + batch_size],
                model.target: dataset.labels[start:start + batch_size]}
        correct += session.run(model.accuracy, feed_dict=feed) * len(feed[model.inputs])
    return float(correct / dataset.num_examples)


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
