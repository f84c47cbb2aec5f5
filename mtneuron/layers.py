"""Multi-threshold neuron layers: the activation acts on every synapse, before the sum."""

from mtneuron.synapses import synapse_sums
from mtneuron.tf1 import tf


def multi_threshold_neuron_layer(input_values, weights, b, activation=tf.nn.relu):
    """The blog's batch-1 layer: ``out_j = sum_i act(W_ji * x_i) + b_j``.

    ``input_values`` has shape ``(N,)``, ``weights`` ``(M, N)`` and ``b`` ``(M,)``; the
    result has shape ``(M,)``. Broadcasting multiplies every row of ``weights`` by the input.
    """
    return tf.reduce_sum(activation(tf.multiply(input_values, weights)), axis=1) + b


def heaviside_step_with_slope(slope):
    """The Heaviside step (1 where x > 0, else 0) with the derivative of ``sigmoid(slope * x)`` as gradient.

    The step's true derivative is 0 almost everywhere, so training needs this surrogate.
    """
    @tf.custom_gradient
    def step(x):
        def gradient(upstream):
            sigmoid = tf.sigmoid(slope * x)
            return upstream * slope * sigmoid * (1 - sigmoid)
        return tf.cast(x > 0, x.dtype), gradient
    return step


def heaviside_step(x):
    """The paper's neuronal step function, with the surrogate gradient of ``sigmoid(x)`` (slope 1)."""
    return heaviside_step_with_slope(1.0)(x)


def multi_threshold_dense(inputs, kernel, bias=None, activation=tf.nn.relu, thresholds=None,
                          nonnegative_inputs=False, max_elements=None):
    """Batched ``out_bj = sum_i act(x_bi W_ij - T_ij) + b_j``: inputs ``(batch, in)``, kernel ``(in, out)``.

    ReLU without thresholds takes two matrix products, or one if ``nonnegative_inputs``; anything else
    goes through ``synapses.synapse_sums`` (XLA-compiled where it exists), holding at most
    ``max_elements`` synapse terms at once (its default when None).
    """
    if activation is tf.nn.relu and thresholds is None:
        outputs = _relu_products(inputs, kernel, nonnegative_inputs)
    else:
        outputs = synapse_sums(inputs, kernel, thresholds, activation, max_elements)
    return outputs if bias is None else outputs + bias


def _relu_products(inputs, kernel, nonnegative_inputs):
    """``relu(X) @ relu(W) + relu(-X) @ relu(-W)``: ``sum_i relu(x_i W_ij)`` in value and in gradient.

    The second product vanishes when the inputs are known to be >= 0.
    """
    outputs = tf.matmul(tf.nn.relu(inputs), tf.nn.relu(kernel))
    if nonnegative_inputs:
        return outputs
    return outputs + tf.matmul(tf.nn.relu(-inputs), tf.nn.relu(-kernel))


def crelu_dense(inputs, kernel, bias=None):
    """The free form of the multi-threshold ReLU layer: ``relu(X) @ A + relu(-X) @ B (+ b)``, the kernel
    ``(2 in, out)`` holding ``A`` over ``B``. ``A = relu(W)``, ``B = relu(-W)`` gives the multi-threshold
    layer; free ``A`` and ``B`` make it a Kolmogorov-Arnold layer with the basis {relu(x), relu(-x)}."""
    outputs = tf.matmul(tf.nn.crelu(inputs), kernel)
    return outputs if bias is None else outputs + bias


def _conv_strides(strides):
    """``tf.nn.conv2d``'s list of 4 strides from that list or from one int for both spatial axes."""
    return [1, strides, strides, 1] if isinstance(strides, int) else list(strides)


def multi_threshold_conv2d(inputs, filters, strides, padding, bias=None):
    """Multi-threshold ReLU convolution: ``sum`` over the receptive field of ``relu(K * x)`` (+ bias).

    NHWC inputs, filters ``(kh, kw, in, out)``, strides and padding as ``tf.nn.conv2d``; computed as
    ``conv(relu(x), relu(K)) + conv(relu(-x), relu(-K))``, exact in value and gradient. It runs as one
    convolution of ``relu(x)`` and ``relu(-x)`` stacked along the channels with the two filters stacked
    alike: faster than two convolutions on either TensorFlow.
    """
    outputs = tf.nn.conv2d(tf.concat([tf.nn.relu(inputs), tf.nn.relu(-inputs)], -1),
                           tf.concat([tf.nn.relu(filters), tf.nn.relu(-filters)], 2),
                           _conv_strides(strides), padding)
    return outputs if bias is None else outputs + bias


def he_initializer():
    """He et al.'s fan-in scaling (variance 2 / fan_in), the default for every module's kernel."""
    return tf.variance_scaling_initializer(scale=2.0, mode="fan_in", distribution="truncated_normal")


class _Module:
    """Sonnet-v1-style base: configured in the constructor, variables made on the first call, then reused.

    Subclasses give ``_kernel_shape(inputs)`` and ``_forward(inputs)``; variables take the inputs' dtype.
    """

    def __init__(self, units, use_bias, kernel_initializer, name, thresholds=False, bias_initializer=None):
        self.units, self.use_bias, self.use_thresholds, self.name = units, use_bias, thresholds, name
        self.kernel_initializer = kernel_initializer or he_initializer()
        self.bias_initializer = bias_initializer or tf.zeros_initializer()
        self.kernel = self.bias = self.thresholds = None

    def __call__(self, inputs):
        """Apply the module; the first call creates its variables under a variable scope of its name."""
        inputs = tf.convert_to_tensor(inputs)
        if self.kernel is None:
            with tf.variable_scope(None, default_name=self.name) as scope:
                self._name_scope = scope.original_name_scope  # later calls reuse it, not "name_1/"
                self._create_variables(self._kernel_shape(inputs), inputs.dtype.base_dtype)
        with tf.name_scope(self._name_scope):
            return self._forward(inputs)

    def _create_variables(self, shape, dtype):
        """Kernel and bias from their initializers (bias 0 by default); thresholds start at 0."""
        self.kernel = _variable("kernel", shape, dtype, self.kernel_initializer)
        if self.use_bias:
            self.bias = _variable("bias", shape[-1:], dtype, self.bias_initializer)
        if self.use_thresholds:
            self.thresholds = _variable("thresholds", shape, dtype, tf.zeros_initializer())

    @property
    def variables(self):
        """The variables made by the first call: kernel, then bias and thresholds when used."""
        return tuple(value for value in (self.kernel, self.bias, self.thresholds) if value is not None)


def _variable(name, shape, dtype, initializer):
    """A trainable resource variable (in-graph training loops then read every update)."""
    return tf.get_variable(name, shape, dtype, initializer, use_resource=True)


class _Dense(_Module):
    """A dense module: kernel ``(in, units)``."""

    def _kernel_shape(self, inputs):
        """``(in, units)``, ``in`` being the inputs' last (static) dimension."""
        return [inputs.shape.as_list()[-1], self.units]


class _Conv2D(_Module):
    """A 2-D convolution module over NHWC inputs: kernel ``(kh, kw, in, filters)``."""

    def __init__(self, filters, kernel_size, strides, padding, use_bias, kernel_initializer, name,
                 bias_initializer=None):
        super().__init__(filters, use_bias, kernel_initializer, name, bias_initializer=bias_initializer)
        self.kernel_size = [kernel_size] * 2 if isinstance(kernel_size, int) else list(kernel_size)
        self.strides, self.padding = _conv_strides(strides), padding

    def _kernel_shape(self, inputs):
        """``(kh, kw, in, filters)``, ``in`` being the inputs' (static) channel count."""
        return self.kernel_size + [inputs.shape.as_list()[-1], self.units]


class MultiThresholdDense(_Dense):
    """Dense multi-threshold layer ``sum_i act(x_i W_ij [- T_ij]) + b_j``; see ``multi_threshold_dense``."""

    def __init__(self, units, activation=tf.nn.relu, use_bias=True, thresholds=False,
                 nonnegative_inputs=False, kernel_initializer=None, max_elements=None,
                 name="multi_threshold_dense", bias_initializer=None):
        super().__init__(units, use_bias, kernel_initializer, name, thresholds, bias_initializer)
        self.activation, self.nonnegative_inputs = activation, nonnegative_inputs
        self.max_elements = max_elements

    def _forward(self, inputs):
        """The layer on this module's variables."""
        return multi_threshold_dense(inputs, self.kernel, self.bias, self.activation, self.thresholds,
                                     self.nonnegative_inputs, self.max_elements)


class CReLUDense(_Dense):
    """Dense CReLU layer ``relu(X) @ A + relu(-X) @ B + b``, ``A`` and ``B`` free; see ``crelu_dense``."""

    def __init__(self, units, use_bias=True, kernel_initializer=None, name="crelu_dense",
                 bias_initializer=None):
        super().__init__(units, use_bias, kernel_initializer, name, bias_initializer=bias_initializer)

    def _kernel_shape(self, inputs):
        """``(2 in, units)``: ``A`` over ``B``."""
        return [2 * inputs.shape.as_list()[-1], self.units]

    def _forward(self, inputs):
        """The layer on this module's variables."""
        return crelu_dense(inputs, self.kernel, self.bias)


class CentralThresholdDense(_Dense):
    """The usual dense layer ``act(X @ W + b)``: one threshold per neuron, after the sum."""

    def __init__(self, units, activation=tf.nn.relu, use_bias=True, kernel_initializer=None,
                 name="central_threshold_dense", bias_initializer=None):
        super().__init__(units, use_bias, kernel_initializer, name, bias_initializer=bias_initializer)
        self.activation = activation

    def _forward(self, inputs):
        """``act(X @ W + b)``."""
        outputs = tf.matmul(inputs, self.kernel)
        return self.activation(outputs if self.bias is None else outputs + self.bias)


class MultiThresholdConv2D(_Conv2D):
    """Multi-threshold ReLU convolution; see ``multi_threshold_conv2d``."""

    def __init__(self, filters, kernel_size, strides=1, padding="SAME", use_bias=True,
                 kernel_initializer=None, name="multi_threshold_conv2d", bias_initializer=None):
        super().__init__(filters, kernel_size, strides, padding, use_bias, kernel_initializer, name,
                         bias_initializer)

    def _forward(self, inputs):
        """The convolution on this module's variables."""
        return multi_threshold_conv2d(inputs, self.kernel, self.strides, self.padding, self.bias)


class CentralThresholdConv2D(_Conv2D):
    """The usual convolution ``act(conv(x, K) + b)``."""

    def __init__(self, filters, kernel_size, strides=1, padding="SAME", activation=tf.nn.relu, use_bias=True,
                 kernel_initializer=None, name="central_threshold_conv2d", bias_initializer=None):
        super().__init__(filters, kernel_size, strides, padding, use_bias, kernel_initializer, name,
                         bias_initializer)
        self.activation = activation

    def _forward(self, inputs):
        """``act(conv(x, K) + b)``."""
        outputs = tf.nn.conv2d(inputs, self.kernel, self.strides, self.padding)
        return self.activation(outputs if self.bias is None else outputs + self.bias)
