"""The per-synapse sum ``sum_i act(x_bi W_ij - T_ij)`` for any activation, without holding the
``(batch, in, out)`` tensor of its terms, in value and in gradient.

Compiled by XLA where this TensorFlow has it (``compiled_sums``): a loop over small groups of
examples whose terms stay in the cache, forward and backward. Only the input columns non-zero in some
example of the batch take that per-synapse work (``lit_sums``): a zero input adds ``act(-T_ij)`` to
every example alike, a matrix product. Elsewhere ``chunked_sums``: a ``tf.while_loop`` over chunks
of output units, slower but bounded too.
"""

import sys

from mtneuron import xla
from mtneuron.tf1 import tf

COMPILED_TERMS = 2**19  # terms per group of examples in XLA's loop: a few MB, cache-sized
CHUNKED_TERMS = 2**22  # terms per chunk of output units in the fallback's loop
LIT_BUCKET = 64  # lit columns are padded to a multiple of this: XLA compiles once per width


def synapse_sums(inputs, kernel, thresholds, activation, max_elements=None):
    """``sum_i act(x_bi W_ij - T_ij)``, compiled where XLA exists (else chunked, saying so once);
    ``max_elements`` bounds the terms held at once (each path has its own default)."""
    if xla.available():
        return lit_sums(inputs, kernel, thresholds, activation, max_elements or COMPILED_TERMS)
    if not _WARNED:
        _WARNED.append(True)
        print("mtneuron: this TensorFlow build has no XLA: per-synapse layers take the slower chunked "
              "path", file=sys.stderr)
    return chunked_sums(inputs, kernel, thresholds, activation, max_elements or CHUNKED_TERMS)


_WARNED = []


def naive_sums(activation, inputs, kernel, thresholds=None):
    """The per-synapse sum through the whole ``(batch, in, out)`` tensor: the reference, and each chunk."""
    synapses = inputs[:, :, None] * kernel[None]
    if thresholds is not None:
        synapses -= thresholds[None]
    return tf.reduce_sum(activation(synapses), axis=1)


def _custom(function, gradient, inputs, kernel, thresholds):
    """``function(operands)`` with ``gradient(upstream, operands)`` as its gradient, where the operands
    are the inputs, kernel (and thresholds); the result has the static shape ``(batch, out)``."""
    tensors = [tf.convert_to_tensor(value) for value in (inputs, kernel, thresholds) if value is not None]

    @tf.custom_gradient
    def custom(*operands):
        return function(operands), lambda upstream: gradient(upstream, operands)
    outputs = custom(*tensors)
    outputs.set_shape([tensors[0].shape[0], tensors[1].shape[1]])
    return outputs


# ---- the inputs' zeros: per-synapse work only for the columns lit in the batch


def lit_sums(inputs, kernel, thresholds, activation, max_elements=COMPILED_TERMS):
    """``compiled_sums`` over the input columns non-zero in some example of the batch (padded with unlit
    ones to a multiple of ``LIT_BUCKET``), plus the others' share: each adds ``act(-T_ij)`` to every
    example, ``(1 - chosen) @ act(-T)``, and has the input gradient ``W_ij act'(-T_ij)``, which a product
    with the (zero) inputs carries. Exact: the same terms, only summed in another order."""
    inputs, kernel = tf.convert_to_tensor(inputs), tf.convert_to_tensor(kernel)
    units_in, units_out = kernel.shape.as_list()
    thresholds = tf.zeros_like(kernel) if thresholds is None else tf.convert_to_tensor(thresholds)
    order = _lit_order(inputs, units_in)
    columns = tf.transpose(_take(tf.transpose(inputs), order))
    lit = compiled_sums(columns, _take(kernel, order), _take(thresholds, order), activation, max_elements,
                        units_in)
    unlit = 1 - tf.reduce_max(tf.one_hot(order, units_in, dtype=inputs.dtype), axis=0)
    at_zero = tf.stop_gradient(-thresholds)
    sloped = tf.gradients(activation(at_zero), at_zero, grad_ys=kernel)[0]  # W_ij act'(-T_ij)
    outputs = lit + tf.matmul(unlit[None], activation(-thresholds))
    outputs += tf.matmul(inputs * unlit, sloped)  # zero, with the unlit inputs' gradient
    outputs.set_shape([inputs.shape[0], units_out])
    return outputs


def _lit_order(inputs, units_in):
    """Column indices: those non-zero in some example first (in order), then unlit ones, cut at the next
    multiple of ``LIT_BUCKET`` (or at ``units_in``)."""
    lit = tf.cast(tf.reduce_any(tf.not_equal(inputs, 0), axis=0), tf.int32)
    width = tf.minimum(units_in, (tf.reduce_sum(lit) + LIT_BUCKET - 1) // LIT_BUCKET * LIT_BUCKET)
    return tf.argsort(lit, direction="DESCENDING", stable=True)[:width]


def _take(values, order):
    """``tf.gather(values, order)`` of distinct rows, with a dense gradient: the taken rows' gradients put
    back in place, zeros elsewhere (Adam then updates every weight as for any dense matrix)."""
    @tf.custom_gradient
    def take(values):
        return tf.gather(values, order), lambda upstream: tf.scatter_nd(order[:, None], upstream,
                                                                        tf.shape(values))
    return take(values)


# ---- compiled: groups of examples, kernel as (out, in) so that every sum runs along memory


def compiled_sums(inputs, kernel, thresholds, activation, max_elements=COMPILED_TERMS, units_in=None):
    """The per-synapse sum compiled by XLA, forward and backward, over groups of examples of at most
    ``max_elements`` terms of ``units_in`` (default: the kernel's static) inputs, at least one example.
    The backward pass recomputes each group's terms and differentiates them with ``tf.gradients``: XLA
    fuses each group into a few loops over its terms."""
    units = (units_in or tf.convert_to_tensor(kernel).shape.as_list()[0]) * kernel.shape.as_list()[1]
    size = max(1, max_elements // units)

    def forward(operands):
        return tf.xla.experimental.compile(lambda *values: _group_sums(values, activation, size),
                                           list(operands))[0]

    def backward(upstream, operands):
        return tf.xla.experimental.compile(
            lambda *values: _group_gradients(values[0], values[1:], activation, size),
            [upstream] + list(operands))
    return _custom(forward, backward, inputs, kernel, thresholds)


def _grouped(values, size):
    """``(batch, n)`` as ``(groups, size, n)``, the batch padded with zero rows to a multiple of ``size``."""
    padding = (size - tf.shape(values)[0] % size) % size
    padded = tf.pad(values, [[0, padding], [0, 0]])
    return tf.reshape(padded, [-1, size, tf.shape(values)[1]])


def _ungrouped(groups, width, inputs):
    """The ``(batch, width)`` rows of a stacked ``(groups, size, width)`` result, padding dropped."""
    return tf.reshape(groups, [-1, width])[:tf.shape(inputs)[0]]


def _group_terms(activation, inputs, by_output):
    """``sum_i act(x_bi W_ji - T_ji)`` of one group, ``by_output`` holding the kernel (and thresholds)
    as ``(out, in)``: the sum runs over the last axis."""
    synapses = inputs[:, None, :] * by_output[0][None]
    if len(by_output) > 1:
        synapses -= by_output[1][None]
    return tf.reduce_sum(activation(synapses), axis=2)


def _over_groups(count, body, state):
    """Run ``body(index, *state)`` for every group index in turn; the final state."""
    def step(index, *state):
        return [index + 1] + list(body(index, *state))
    return tf.while_loop(lambda index, *_: index < count, step, [tf.constant(0)] + list(state),
                         parallel_iterations=1)[1:]


def _group_sums(operands, activation, size):
    """Forward pass: each group's sums, joined to ``(batch, out)``."""
    groups, by_output = _grouped(operands[0], size), [tf.transpose(operand) for operand in operands[1:]]
    count = tf.shape(groups)[0]

    def body(index, sums):
        return [sums.write(index, _group_terms(activation, tf.gather(groups, index), by_output))]
    sums, = _over_groups(count, body, [tf.TensorArray(operands[0].dtype, count)])
    return _ungrouped(sums.stack(), tf.shape(operands[1])[1], operands[0])


def _group_gradients(upstream, operands, activation, size):
    """Backward pass: each group's terms rebuilt and differentiated; kernel (and threshold) gradients
    add up over groups, input gradients are joined."""
    groups, upstreams = _grouped(operands[0], size), _grouped(upstream, size)
    by_output = [tf.transpose(operand) for operand in operands[1:]]
    count = tf.shape(groups)[0]

    def body(index, input_gradients, *totals):
        inputs = tf.gather(groups, index)
        sums = _group_terms(activation, inputs, by_output)
        gradients = tf.gradients(sums, [inputs] + by_output, grad_ys=tf.gather(upstreams, index))
        return [input_gradients.write(index, gradients[0])] + [
            total + gradient for total, gradient in zip(totals, gradients[1:])]
    results = _over_groups(count, body, [tf.TensorArray(operands[0].dtype, count)]
                           + [tf.zeros_like(value) for value in by_output])
    inputs = _ungrouped(results[0].stack(), tf.shape(operands[0])[1], operands[0])
    return [inputs] + [tf.transpose(total) for total in results[1:]]


# ---- chunked, without XLA: chunks of output units, each differentiated on its own


def chunked_sums(inputs, kernel, thresholds, activation, max_elements=CHUNKED_TERMS):
    """The per-synapse sum chunk by chunk of output units, with a gradient that is chunked too.

    The gradient recomputes each chunk, so neither pass holds the whole ``(batch, in, out)`` tensor.
    """
    def forward(operands):
        return _chunk_sums(operands, activation, _chunk_size(operands[0], max_elements))

    def backward(upstream, operands):
        return _chunk_gradients(upstream, operands, activation, _chunk_size(operands[0], max_elements))
    return _custom(forward, backward, inputs, kernel, thresholds)


def _chunk_size(inputs, max_elements):
    """Output units per chunk, so that one chunk has at most ``max_elements`` ``(batch, in, units)`` terms.

    Computed in the graph, as the batch size may be known only at run time; at least 1.
    """
    shape = tf.shape(inputs)
    return tf.maximum(1, max_elements // tf.maximum(1, shape[0] * shape[1]))


def _columns(operands, start, size):
    """The inputs, then the kernel (and thresholds) restricted to output units ``[start, start + size)``."""
    return [operands[0]] + [operand[:, start:start + size] for operand in operands[1:]]


def _chunk_count(kernel, size):
    """How many chunks of ``size`` output units cover the kernel's columns (the last may be shorter)."""
    return (tf.shape(kernel)[1] + size - 1) // size


def _unit_array(dtype, count):
    """A TensorArray of per-chunk results stored as ``(units, ...)``, so that ``concat`` joins chunks."""
    return tf.TensorArray(dtype, size=count, infer_shape=False)


def _chunk_sums(operands, activation, size):
    """Forward pass: ``naive_sums`` of each chunk of output units, joined to ``(batch, out)``."""
    count = _chunk_count(operands[1], size)

    def body(index, sums):
        chunk = naive_sums(activation, *_columns(operands, index * size, size))
        return [sums.write(index, tf.transpose(chunk))]
    sums, = _over_groups(count, body, [_unit_array(operands[0].dtype, count)])
    return tf.transpose(sums.concat())


def _chunk_gradients(upstream, operands, activation, size):
    """Backward pass: each chunk's forward is rebuilt and differentiated on its own by ``tf.gradients``.

    Input gradients add up over chunks; kernel (and threshold) gradients are joined column-wise.
    """
    count = _chunk_count(operands[1], size)

    def body(index, input_gradient, *arrays):
        inputs = tf.identity(operands[0])  # inside the loop, so tf.gradients stops here
        columns = [inputs] + _columns(operands, index * size, size)[1:]
        chunk = naive_sums(activation, *columns)
        gradients = tf.gradients(chunk, columns, grad_ys=upstream[:, index * size:(index + 1) * size])
        return [input_gradient + gradients[0]] + [array.write(index, tf.transpose(gradient))
                                                  for array, gradient in zip(arrays, gradients[1:])]
    arrays = [_unit_array(operand.dtype, count) for operand in operands[1:]]
    results = _over_groups(count, body, [tf.zeros_like(operands[0])] + arrays)
    return [results[0]] + [tf.transpose(array.concat()) for array in results[1:]]
