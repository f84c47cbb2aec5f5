"""The multi-threshold layers for Keras 3, written with ``keras.ops`` only: they run on the TensorFlow, JAX
and PyTorch backends, in eager code and in ``model.fit``, and change no process-wide TensorFlow state (this
module never imports ``mtneuron.tf1``, which turns TensorFlow's v2 behaviour off).

``MultiThresholdDense``: ``out_j = sum_i act(x_i W_ij - T_ij) + b_j``, the activation on every synapse
before the sum, with optional per-synapse thresholds ``T`` (the paper's neuron has them; the blog fixed
them at 0). ReLU without thresholds runs as two matrix products, ``relu(x) @ relu(W) + relu(-x) @ relu(-W)``
(exact in value and gradient); anything else sums the ``(batch, in, out)`` synapse terms.
``MultiThresholdConv2D``: the same over every receptive field (channels last). ``derive_init`` starts the
dense ReLU layers of a model centred with unit variance on real inputs (He's init, the default, leaves a
per-synapse ReLU layer a mean that grows with the square root of its fan-in).
"""

import numpy as np

from mtneuron import networks

try:
    import keras
    from keras import ops
except ImportError:
    keras = None

NEEDS = ("mtneuron.keras needs Keras 3 (Python >= 3.9) and one of its backends: pip install 'keras>=3' "
         "tensorflow (or jax, or torch)")
if keras is None or int(keras.__version__.split(".")[0]) < 3:
    raise ImportError(NEEDS)


def multi_threshold_sums(inputs, kernel, thresholds=None, activation="relu"):
    """``sum_i act(x_i W_ij - T_ij)`` over the last axis of ``inputs`` (``(..., in)``), for a kernel and
    thresholds ``(in, out)``: ``(..., out)``. ReLU without thresholds takes the two products."""
    if thresholds is None and _is_relu(activation):
        return (ops.matmul(ops.relu(inputs), ops.relu(kernel))
                + ops.matmul(ops.relu(ops.negative(inputs)), ops.relu(ops.negative(kernel))))
    terms = ops.expand_dims(inputs, -1) * kernel
    if thresholds is not None:
        terms = terms - thresholds
    return ops.sum(keras.activations.get(activation)(terms), axis=-2)


def _is_relu(activation):
    return activation == "relu" or activation is keras.activations.relu


@keras.saving.register_keras_serializable(package="mtneuron")
class MultiThresholdDense(keras.layers.Layer):
    """``out_j = sum_i act(x_i W_ij - T_ij) + b_j`` on the last axis; ``thresholds``: learn a ``T`` per
    synapse (else ``T = 0``)."""

    def __init__(self, units, activation="relu", thresholds=False, use_bias=True,
                 kernel_initializer="he_normal", bias_initializer="zeros", threshold_initializer="zeros",
                 **kwargs):
        super().__init__(**kwargs)
        self.units, self.thresholds, self.use_bias = int(units), bool(thresholds), bool(use_bias)
        self.activation = keras.activations.get(activation)
        self.initializers = _initializers(kernel_initializer, bias_initializer, threshold_initializer)

    def build(self, input_shape):
        self.kernel, self.threshold, self.bias = _weights(self, (input_shape[-1], self.units), (self.units,))

    def call(self, inputs):
        outputs = multi_threshold_sums(inputs, self.kernel, self.threshold, self.activation)
        return outputs if self.bias is None else outputs + self.bias

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return dict(super().get_config(), units=self.units, **_config(self))


@keras.saving.register_keras_serializable(package="mtneuron")
class MultiThresholdConv2D(keras.layers.Layer):
    """The multi-threshold neuron over every receptive field: ``out = sum act(K * x - T) + b`` over the
    ``kernel_size`` window and the input channels; inputs ``(batch, height, width, channels)``."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", activation="relu", thresholds=False,
                 use_bias=True, kernel_initializer="he_normal", bias_initializer="zeros",
                 threshold_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        self.filters, self.thresholds, self.use_bias = int(filters), bool(thresholds), bool(use_bias)
        self.kernel_size, self.strides = _pair(kernel_size), _pair(strides)
        self.padding = padding.lower()
        self.activation = keras.activations.get(activation)
        self.initializers = _initializers(kernel_initializer, bias_initializer, threshold_initializer)

    def build(self, input_shape):
        shape = self.kernel_size + (input_shape[-1], self.filters)
        self.kernel, self.threshold, self.bias = _weights(self, shape, (self.filters,))

    def call(self, inputs):
        if self.threshold is None and _is_relu(self.activation):  # one convolution of both halves
            halves = ops.concatenate([ops.relu(inputs), ops.relu(ops.negative(inputs))], axis=-1)
            kernel = ops.concatenate([ops.relu(self.kernel), ops.relu(ops.negative(self.kernel))], axis=2)
            outputs = ops.conv(halves, kernel, strides=self.strides, padding=self.padding)
        else:
            patches = ops.image.extract_patches(inputs, self.kernel_size, strides=self.strides,
                                                padding=self.padding)
            flat = (-1, self.filters)  # (kh, kw, in) in the patches' order
            thresholds = None if self.threshold is None else ops.reshape(self.threshold, flat)
            kernel = ops.reshape(self.kernel, flat)
            outputs = multi_threshold_sums(patches, kernel, thresholds, self.activation)
        return outputs if self.bias is None else outputs + self.bias

    def get_config(self):
        return dict(super().get_config(), filters=self.filters, kernel_size=self.kernel_size,
                    strides=self.strides, padding=self.padding, **_config(self))


def derive_init(model, images, seed=0):
    """Set every ReLU ``MultiThresholdDense`` layer of the ``keras.Sequential`` ``model``, in order, by the
    derived init (``networks.derived_layer``): from its inputs' statistics on ``images``, with the layers
    before it already set, its kernel drawn N(0, 1) and scaled, its bias set to centre it."""
    if not isinstance(model, keras.Sequential):
        raise ValueError("derive_init takes a keras.Sequential: for another model call derive_layer(layer, "
                         "inputs) on each layer's inputs in order")
    signal = ops.convert_to_tensor(images)
    for index, layer in enumerate(model.layers):
        if isinstance(layer, MultiThresholdDense) and _is_relu(layer.activation):
            derive_layer(layer, signal, seed + index)
        signal = layer(signal)


def derive_layer(layer, inputs, seed=0):
    """Set one ReLU ``MultiThresholdDense`` layer (built) centred with unit variance on ``inputs``."""
    values = np.asarray(ops.convert_to_numpy(inputs), np.float64).reshape(-1, layer.kernel.shape[0])
    statistics = networks.Inputs(np.mean(values ** 2), np.mean(np.abs(values)), np.mean(values != 0),
                                 np.var(np.mean(np.abs(values), axis=1)))
    sd, bias = networks.derived_layer("relu_thresholds" if layer.thresholds else "multi", values.shape[1],
                                      statistics)
    layer.kernel.assign(np.random.RandomState(seed).randn(*layer.kernel.shape).astype("float32") * sd)
    if layer.bias is not None:
        layer.bias.assign(np.full(layer.bias.shape, bias, "float32"))


def _weights(layer, kernel_shape, bias_shape):
    """A layer's kernel, its thresholds (None without) and its bias (None without)."""
    kernel = layer.add_weight(name="kernel", shape=kernel_shape, initializer=layer.initializers["kernel"])
    threshold = bias = None
    if layer.thresholds:
        threshold = layer.add_weight(name="threshold", shape=kernel_shape,
                                     initializer=layer.initializers["threshold"])
    if layer.use_bias:
        bias = layer.add_weight(name="bias", shape=bias_shape, initializer=layer.initializers["bias"])
    return kernel, threshold, bias


def _initializers(kernel, bias, threshold):
    """A layer's initializers by weight, as ``keras.initializers.get`` makes them."""
    return {name: keras.initializers.get(value) for name, value in
            (("kernel", kernel), ("bias", bias), ("threshold", threshold))}


def _config(layer):
    """What both layers share in ``get_config``."""
    return dict(activation=keras.activations.serialize(layer.activation), thresholds=layer.thresholds,
                use_bias=layer.use_bias, **{"%s_initializer" % name: keras.initializers.serialize(value)
                                            for name, value in layer.initializers.items()})


def _pair(value):
    return (int(value), int(value)) if isinstance(value, int) else tuple(int(one) for one in value)
