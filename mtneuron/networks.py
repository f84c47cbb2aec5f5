"""The minibatch networks of part II and the comparison study, each in its own ``tf.Graph`` (the blog's two
batch-1 networks are ``models``).

The blog's MLP (784-251-87-10) and its one-hidden-layer control, a small CNN and softmax regression, with
hidden neurons of one kind (``NEURONS``) and one of four initialisations (``INITS``). ``derived`` is the
initialisation derived here for per-synapse neurons (``derived_layer``, set by ``derive_init``).
Importing this module imports no TensorFlow: the functions that build or run graphs import it.
"""

import collections
import math

from mtneuron import blog

ARCHITECTURES = ("mlp", "mlp1", "cnn", "linear")  # mlp1: one hidden layer of 87 units, a control
HIDDEN_SIZES = {"mlp": blog.HIDDEN_SIZES, "mlp1": blog.HIDDEN_SIZES[1:]}
NEURONS = ("central", "multi", "crelu", "paper", "heaviside", "sigmoid", "relu_thresholds", "linear")
PER_SYNAPSE = ("multi", "paper", "heaviside", "sigmoid", "relu_thresholds")  # activation on every synapse
THRESHOLDED = ("paper", "heaviside", "sigmoid", "relu_thresholds")  # a trainable threshold per synapse
INITS = ("blog", "scaled", "derived", "positive")
CONVOLUTION_FILTERS = (16, 32)  # two 5x5 convolutions, each followed by 2x2 max pooling
CALIBRATION_IMAGES = 1000  # the first training images, on which the derived init measures its layers' inputs


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
