"""Minibatch networks and their training loop, shared by part II and the comparison study.

The networks: the blog's MLP (784-251-87-10), a small CNN and softmax regression, with hidden
neurons of one kind (``NEURONS``) and one of three initialisations (``INITS``). ``derived`` is the
initialisation derived here for per-synapse neurons (``derived_layer``, set by ``derive_init``).
Importing this module imports no TensorFlow: the functions that build or run graphs import it.
"""

import collections
import dataclasses
import math
import os
import sys
import time
import typing

from mtneuron import blog, data
from mtneuron.data import DataSet
from mtneuron.run import records

ARCHITECTURES = ("mlp", "mlp1", "cnn", "linear")  # mlp1: one hidden layer of 87 units, a control
HIDDEN_SIZES = {"mlp": blog.HIDDEN_SIZES, "mlp1": blog.HIDDEN_SIZES[1:]}
NEURONS = ("central", "multi", "crelu", "paper", "heaviside", "sigmoid", "relu_thresholds", "linear")
PER_SYNAPSE = ("multi", "paper", "heaviside", "sigmoid", "relu_thresholds")  # activation on every synapse
THRESHOLDED = ("paper", "heaviside", "sigmoid", "relu_thresholds")  # a trainable threshold per synapse
INITS = ("blog", "scaled", "derived", "positive")
EVALUATION_BATCH = 500
CONVOLUTION_FILTERS = (16, 32)  # two 5x5 convolutions, each followed by 2x2 max pooling
CALIBRATION_IMAGES = 1000  # the first training images, on which the derived init measures its layers' inputs


def prefer_onednn():
    """Let TensorFlow use oneDNN's faster kernels in worker processes unless the user said otherwise.

    ``tf1`` turns oneDNN off to match TF 1.15's numbers (in this process, if it is loaded: its
    ``ONEDNN_CHOSEN`` keeps the user's own setting), but minibatch studies have no such numbers to
    match. Workers started after this inherit it, and every record stores it.
    """
    tf1 = sys.modules.get("mtneuron.tf1")
    chosen = os.environ.get("TF_ENABLE_ONEDNN_OPTS") if tf1 is None else tf1.ONEDNN_CHOSEN
    os.environ["TF_ENABLE_ONEDNN_OPTS"] = "1" if chosen is None else chosen


# ---- the derived initialisation of per-synapse layers

Inputs = collections.namedtuple("Inputs", ["second_moment", "mean_abs", "nonzero", "mean_abs_variance"])
Inputs.__doc__ = """Statistics of a layer's inputs x_i: E[x^2], E|x|, P(x != 0), and the variance over
examples of the per-example mean of |x_i| over the layer's fan-in (a shift every unit shares)."""


def derived_layer(kind, fan_in, inputs):
    """Kernel sd and bias that start a per-synapse layer centred, with unit variance for ReLU.

    ReLU, with W ~ N(0, s^2): E[relu(W x_i)] = s |x_i| / sqrt(2 pi) and Var_W = s^2 x_i^2 (pi - 1) / (2 pi),
    so ``out_j = sum_i relu(W_ji x_i)`` has mean ``n s E|x| / sqrt(2 pi)`` (the bias cancels it) and variance
    ``n s^2 ((pi - 1) E[x^2] + n Var(mean |x|)) / (2 pi)``, set to 1. Steps and sigmoids:
    ``s = sqrt(P(x != 0) / E[x^2])`` puts the arguments of non-zero inputs at unit scale; the bias cancels
    the mean count. The linear output layer ("output") is LeCun's: ``s = 1 / sqrt(n E[x^2])``.
    """
    n = fan_in
    if kind in ("multi", "relu_thresholds"):
        spread = (math.pi - 1) * inputs.second_moment + n * inputs.mean_abs_variance
        sd = math.sqrt(2 * math.pi / (n * spread))
        return sd, -n * sd * inputs.mean_abs / math.sqrt(2 * math.pi)
    if kind == "positive":  # |W| ~ half-normal: mean s sqrt(2 / pi), variance s^2 (1 - 2 / pi); inputs >= 0
        spread = (1 - 2 / math.pi) * inputs.second_moment + 2 / math.pi * n * inputs.mean_abs_variance
        sd = 1 / math.sqrt(n * spread)
        return sd, -n * sd * math.sqrt(2 / math.pi) * inputs.mean_abs
    if kind in ("heaviside", "paper"):  # H(0) = 0: zero inputs never count (the paper's neuron has no bias)
        return math.sqrt(inputs.nonzero / inputs.second_moment), -n * inputs.nonzero / 2
    if kind == "sigmoid":  # sigmoid(0) = 1/2, for zero inputs too
        return math.sqrt(inputs.nonzero / inputs.second_moment), -n / 2
    if kind == "output":
        return 1 / math.sqrt(n * inputs.second_moment), 0.0
    raise _not_per_synapse(kind)


def _not_per_synapse(kind):
    """The error for a derived init asked of a layer that has no per-synapse activation."""
    return ValueError("the derived init is for per-synapse neurons %s, not %r: central-threshold layers take "
                      "'scaled' (He, derived for ReLU units)" % (PER_SYNAPSE, kind))


def derive_init(session, model, images):
    """Set a ``derived`` network's layers in order, each from its inputs' statistics measured on ``images``
    with the layers before it already set: each kernel, drawn N(0, 1), is scaled to ``derived_layer``'s sd."""
    for layer in model.calibration:
        statistics = Inputs(*session.run(layer.statistics, {model.inputs: images}))
        sd, bias = derived_layer(layer.kind, layer.fan_in, statistics)
        session.run(layer.assign, {layer.scale: sd, layer.bias: bias})


# ---- a run


@dataclasses.dataclass(frozen=True)
class MinibatchSpec(records.Spec):
    """A minibatch run: a network (``build_graph``) trained by ``train``; part II's file names."""

    architecture: str
    kind: str
    batch_size: int
    init: str = "scaled"
    learning_rate: float = blog.LEARNING_RATE
    seed: int = blog.SEED
    n_epochs: int = 2  # the most epochs trained
    n_examples: int = blog.TRAIN_EXAMPLES
    average_every: int = blog.AVERAGE_EVERY
    patience: typing.Optional[int] = None  # early stopping (see ``train``); None: the last epoch scored
    dataset: str = "mnist"  # one of data.DATA_SETS
    centred: bool = False  # the training set's per-feature mean subtracted from every input

    @property
    def filename(self):
        """``run_{architecture}_{kind}_{init}_b{batch}.json``, with ``_seed{seed}`` unless the blog's."""
        return "run_%s_%s_%s_b%d%s.json" % (self.architecture, self.kind, self.init, self.batch_size,
                                            records.seed_suffix(self.seed))


# ---- the networks

MinibatchGraph = collections.namedtuple(
    "MinibatchGraph",
    ["graph", "inputs", "target", "hidden", "logits", "loss", "accuracy", "train_op", "init", "calibration",
     "parameters", "restore"])
MinibatchGraph.__doc__ = """Tensors and ops of a minibatch network, which takes batches of any size;
``calibration`` holds the ``Calibration`` of every layer of a ``derived`` network (else none);
``restore`` assigns its placeholders (one per variable of ``parameters``) to the network's parameters."""

Calibration = collections.namedtuple("Calibration",
                                     ["kind", "fan_in", "statistics", "scale", "bias", "assign"])
Calibration.__doc__ = """How ``derive_init`` sets one layer: its neuron (``"output"`` for the output layer),
fan-in, its inputs' ``Inputs`` as a tensor, and the op that scales its kernel by the placeholder ``scale``
and sets its bias to the placeholder ``bias``."""


def build_graph(architecture, kind, init="scaled", learning_rate=blog.LEARNING_RATE, seed=blog.SEED,
                input_size=blog.INPUT_SIZE, nonnegative_inputs=True):
    """Build an MLP (784-251-87-10, or 784-87-10), a small CNN or softmax regression in a new ``tf.Graph``,
    trained by Adam, for ``input_size`` inputs (``nonnegative_inputs``: known >= 0, as pixels are).

    ``kind`` names the hidden neurons (``NEURONS``; "linear" for softmax regression, which has none).
    ``init="blog"``: every kernel and bias N(0, 1) as in the blog; ``"scaled"``: He hidden kernels, a
    Glorot output kernel, zero biases; ``"derived"``: N(0, 1) kernels and zero biases that ``derive_init``
    then sets layer by layer (``derived_layer``; the output layer LeCun's); ``"positive"``: as derived,
    the first kernel's signs all positive, so that on inputs >= 0 no multi-threshold weight is frozen.
    """
    from mtneuron.models import loss_and_accuracy
    from mtneuron.tf1 import tf

    _check_network(architecture, kind, init, input_size)
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(seed)
        inputs = tf.placeholder(tf.float32, shape=(None, input_size), name="images")
        target = tf.placeholder(tf.float32, shape=(None, blog.NUM_CLASSES), name="labels")
        features = {"cnn": _cnn_features, "linear": _no_features}.get(architecture, _mlp_features)
        hidden, applied = features(inputs, kind, init, HIDDEN_SIZES.get(architecture), nonnegative_inputs)
        output = _output_layer(init)
        logits = output(hidden[-1])
        applied.append(("output", output, hidden[-1]))
        calibration = [_calibration(*one) for one in applied] if init in ("derived", "positive") else []
        loss, accuracy = loss_and_accuracy(logits, target)
        parameters = tf.trainable_variables()
        train_op = tf.train.AdamOptimizer(learning_rate).minimize(loss)
        init_op = tf.global_variables_initializer()
        values = [tf.placeholder(parameter.dtype.base_dtype, parameter.shape) for parameter in parameters]
        restore = (values, tf.group(*[variable.assign(value) for variable, value in zip(parameters, values)]))
    return MinibatchGraph(graph, inputs, target, hidden[1:], logits, loss, accuracy, train_op, init_op,
                          calibration, parameters, restore)


def _check_network(architecture, kind, init, input_size):
    """Refuse a network that cannot be built, naming what can."""
    if architecture not in ARCHITECTURES or kind not in NEURONS or init not in INITS:
        raise ValueError("unknown network %r/%r/%r: architectures %s, kinds %s, inits %s" % (
            architecture, kind, init, ARCHITECTURES, NEURONS, INITS))
    if (architecture == "linear") != (kind == "linear"):
        raise ValueError("softmax regression is architecture 'linear' with kind 'linear', not %r/%r"
                         % (architecture, kind))
    if architecture == "cnn" and (kind not in ("multi", "central") or input_size != blog.INPUT_SIZE):
        raise ValueError("the CNN takes 'multi' or 'central' layers on 28 x 28 images, not %r on %d inputs"
                         % (kind, input_size))
    if init in ("derived", "positive") and kind not in PER_SYNAPSE:
        raise _not_per_synapse(kind)
    if init == "positive" and kind != "multi":
        raise ValueError("the positive init is the multi-threshold ReLU MLP's (first kernel >= 0), not %r's; "
                         "take 'derived'" % kind)


def _initializers(init):
    """A module's initializers: N(0, 1) kernels (with N(0, 1) biases for the blog's), or the defaults."""
    from mtneuron.tf1 import tf

    normal = tf.random_normal_initializer(0.0, 1.0)
    return {"blog": {"kernel_initializer": normal, "bias_initializer": normal}, "scaled": {},
            "derived": {"kernel_initializer": normal}, "positive": {"kernel_initializer": normal}}[init]


def _half_normal(shape, dtype=None, partition_info=None):
    """``|N(0, 1)|``: the positive init's first kernel, which ``derive_init`` then scales."""
    from mtneuron.tf1 import tf

    return tf.abs(tf.random_normal(shape, dtype=dtype or tf.float32))


def _dense(kind, units, init, index, nonnegative_inputs):
    """Dense hidden module ``hidden{index + 1}``; a multi-threshold first layer is told whether its inputs
    are >= 0. The paper's neuron is the Heaviside step with a threshold per synapse and no bias."""
    from mtneuron import layers
    from mtneuron.tf1 import tf

    name, initializers = "hidden%d" % (index + 1), _initializers(init)
    if init == "positive" and index == 0:
        initializers = {"kernel_initializer": _half_normal}
    if kind == "central":
        return layers.CentralThresholdDense(units, name=name, **initializers)
    if kind == "crelu":
        return layers.CReLUDense(units, name=name, **initializers)
    if kind == "multi":
        return layers.MultiThresholdDense(units, nonnegative_inputs=index == 0 and nonnegative_inputs,
                                          name=name, **initializers)
    activations = {"paper": layers.heaviside_step, "heaviside": layers.heaviside_step, "sigmoid": tf.sigmoid,
                   "relu_thresholds": tf.nn.relu}
    return layers.MultiThresholdDense(units, activation=activations[kind], thresholds=True, name=name,
                                      use_bias=kind != "paper", **initializers)


def _mlp_features(inputs, kind, init, sizes, nonnegative_inputs):
    """Hidden dense layers of ``sizes`` units: each layer's output (inputs first), each ``(kind, module,
    inputs)``, the kind by which ``derive_init`` sets it (the positive init's first layer: "positive")."""
    signal, applied = [inputs], []
    for index, units in enumerate(sizes):
        module = _dense(kind, units, init, index, nonnegative_inputs)
        signal.append(module(signal[-1]))
        applied.append(("positive" if init == "positive" and index == 0 else kind, module, signal[-2]))
    return signal, applied


def _cnn_features(inputs, kind, init, sizes, nonnegative_inputs):
    """Two 5x5 convolutions, each followed by 2x2 max pooling, flattened; as ``_mlp_features``."""
    from mtneuron import layers
    from mtneuron.tf1 import tf

    convolution = layers.MultiThresholdConv2D if kind == "multi" else layers.CentralThresholdConv2D
    signal, applied = [tf.reshape(inputs, (-1,) + blog.IMAGE_SHAPE + (1,))], []
    for index, filters in enumerate(CONVOLUTION_FILTERS):
        module = convolution(filters, 5, name="conv%d" % (index + 1), **_initializers(init))
        signal.append(tf.nn.max_pool(module(signal[-1]), [1, 2, 2, 1], [1, 2, 2, 1], "SAME"))
        applied.append((kind, module, signal[-2]))
    size = (blog.IMAGE_SHAPE[0] // 4) * (blog.IMAGE_SHAPE[1] // 4) * CONVOLUTION_FILTERS[-1]
    return signal[:-1] + [tf.reshape(signal[-1], (-1, size))], applied


def _no_features(inputs, kind, init, sizes, nonnegative_inputs):
    """Softmax regression: the pixels go straight to the output layer."""
    return [inputs], []


def _output_layer(init):
    """The linear output layer: N(0, 1) (blog), Glorot (scaled), N(0, 1) to be scaled (derived)."""
    from mtneuron import layers
    from mtneuron.tf1 import tf

    initializers = _initializers(init)
    if init == "scaled":
        initializers = {"kernel_initializer": tf.glorot_uniform_initializer()}
    return layers.CentralThresholdDense(blog.NUM_CLASSES, activation=tf.identity, name="output",
                                        **initializers)


def _calibration(kind, module, inputs):
    """The ``Calibration`` of a module already applied to ``inputs`` (dense ``(batch, n)`` or NHWC)."""
    from mtneuron.tf1 import tf

    magnitudes = tf.abs(inputs)
    if inputs.shape.ndims == 4:  # a 5x5 convolution: the mean over each patch, zero padding included
        channels = inputs.shape.as_list()[-1]
        fan_in = 25 * channels
        means = tf.nn.conv2d(magnitudes, tf.fill([5, 5, channels, 1], 1.0 / fan_in), [1, 1, 1, 1], "SAME")
    else:
        fan_in = inputs.shape.as_list()[-1]
        means = tf.reduce_mean(magnitudes, axis=1)
    _mean, variance = tf.nn.moments(tf.reshape(means, [-1]), axes=[0])
    statistics = tf.stack([tf.reduce_mean(tf.square(inputs)), tf.reduce_mean(magnitudes),
                           tf.reduce_mean(tf.cast(tf.not_equal(inputs, 0), tf.float32)), variance])
    scale, bias = tf.placeholder(tf.float32, []), tf.placeholder(tf.float32, [])
    assignments = [module.kernel.assign(module.kernel * scale)]
    if module.bias is not None:  # the paper's neuron has none
        assignments.append(module.bias.assign(tf.fill(tf.shape(module.bias), bias)))
    return Calibration(kind, fan_in, statistics, scale, bias, tf.group(*assignments))


# ---- training


def train(spec, datasets, context):
    """Train and evaluate one minibatch network and return its run record (a dict).

    An epoch is ``n_examples // batch_size`` batches from ``next_batch(batch_size, shuffle=True)``
    of a ``DataSet`` seeded with the run's seed. Each curve point is the mean of
    ``average_every // batch_size`` batches, and the windows run on across epochs. The validation set
    is scored after every epoch. With ``spec.patience``, training stops once that many epochs in a row
    bring no better validation accuracy (or after ``n_epochs``) and the best epoch's parameters are put
    back: the run is scored there (validation, and the test set once). Without, every epoch trains and
    the last is scored. A non-finite loss ends training.
    """
    from mtneuron import xla
    from mtneuron.tf1 import tf
    from mtneuron.train.training import Curves, complete_record, session_config

    started = time.time()
    xla.available(session_config(context.threads))  # before any session: its pools are the run's
    datasets = data.centred(datasets) if spec.centred else datasets
    images = datasets.train.images
    model = build_graph(spec.architecture, spec.kind, spec.init, spec.learning_rate, spec.seed,
                        images.shape[1], bool(images.min() >= 0))
    steps_per_epoch = min(spec.n_examples, datasets.train.num_examples) // spec.batch_size
    curves = Curves(spec.n_epochs * steps_per_epoch * spec.batch_size, spec.name,
                    tensorboard_dir=context.tensorboard_dir, progress=context.progress,
                    position=context.position)
    window = _Window(curves, max(1, spec.average_every // spec.batch_size))
    with tf.Session(graph=model.graph, config=session_config(context.threads)) as session:
        session.run(model.init)
        derive_init(session, model, datasets.train.images[:CALIBRATION_IMAGES])
        best = _BestEpoch(session, model, spec.patience)
        validation, examples, step_time = _train_epochs(session, model, spec, datasets, window,
                                                        steps_per_epoch, best)
        train_time = time.time() - started
        best.restore()
        test_accuracy = evaluate(session, model, datasets.test)
    curves.close()
    return complete_record(dict(
        spec.to_dict(), losses=curves.losses, accuracies=curves.accuracies,
        validation_accuracies=validation, validation_accuracy=best.accuracy, best_epoch=best.epoch,
        epochs_trained=len(validation), accuracy=test_accuracy,
        diverged=window.diverged, examples_per_point=window.batches * spec.batch_size, examples=examples,
        examples_per_second=examples / train_time, us_per_step=1e6 * step_time * spec.batch_size / examples),
        spec, started, train_time, context.threads)


def _train_epochs(session, model, spec, datasets, window, steps_per_epoch, best):
    """Train epoch after epoch and score the validation set after each one (``best`` keeps the epoch to
    score), stopping after a non-finite loss or where ``best`` says. Returns the validation accuracies,
    the number of examples trained and the seconds spent in training steps (feeding included)."""
    order = DataSet(datasets.train.images, datasets.train.labels, seed=spec.seed)
    fetches = [model.train_op, model.loss, model.accuracy]
    validation, examples, step_time = [], 0, 0.0
    for _ in range(spec.n_epochs):
        epoch_started = time.time()
        for _ in range(steps_per_epoch):
            images, labels = order.next_batch(spec.batch_size, shuffle=True)
            _, loss, accuracy = session.run(fetches, feed_dict={model.inputs: images, model.target: labels})
            examples += spec.batch_size
            if not window.add(loss, accuracy, examples):
                break
        step_time += time.time() - epoch_started
        validation.append(evaluate(session, model, datasets.validation))
        window.curves.scalars(examples, validation_accuracy=validation[-1])
        if best.add(validation[-1]) or window.diverged:
            break
    return validation, examples, step_time


class _BestEpoch:
    """The epoch a run is scored at: under early stopping (``patience`` epochs) the one with the best
    validation accuracy so far, its parameters kept in memory; else the last epoch."""

    def __init__(self, session, model, patience):
        self.session, self.model, self.patience = session, model, patience
        self.epochs, self.epoch, self.accuracy, self.values = 0, 0, None, None

    def add(self, accuracy):
        """Count one more epoch scored ``accuracy``; returns whether early stopping ends training."""
        self.epochs += 1
        if self.patience is None or self.accuracy is None or accuracy > self.accuracy:
            self.epoch, self.accuracy = self.epochs, accuracy
            self.values = None if self.patience is None else self.session.run(self.model.parameters)
        return self.patience is not None and self.epochs - self.epoch >= self.patience

    def restore(self):
        """Put the best epoch's parameters back (nothing to do without early stopping)."""
        if self.values is not None:
            placeholders, assign = self.model.restore
            self.session.run(assign, dict(zip(placeholders, self.values)))


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
