"""What the blog's networks do to sparsity, for the claims study: a step's measurements, built in the graph
(``step_measurements``), and the first-layer weights that no step on the training images can change
(``frozen_weights``). Both depend on the network's kind (``Network.model``)."""

import numpy as np

from mtneuron.tf1 import tf

DEAD_MARGIN = 1e-3  # a unit is inactive below -this: float32 sums in another order cannot make it positive


def step_measurements(network, parameters, inputs, hidden, gradients, first_positive=None):
    """``measurements`` of one step of ``network``; ``first_positive``: the first layer's positive-synapse
    fractions when the fast engine's first layer counted them already."""
    synapses = [None] * len(hidden)
    if network.model == "multi":
        signals, counted = [inputs] + list(hidden), [first_positive] + [None] * (len(hidden) - 1)
        synapses = [_positive_synapses(parameters[2 * layer], signals[layer]) if known is None else known
                    for layer, known in enumerate(counted)]
    return measurements(inputs, hidden, gradients, synapses)


def frozen_weights(network, parameters, images):
    """Per weight matrix, a mask of the entries that no step on ``images`` can change, from the initial
    ``parameters`` (arrays ``[W_01, b_1, ...]``): where every step's gradient is exactly zero, Adam's
    moments stay zero and its update is zero. Only first-layer weights qualify, as only the first layer's
    inputs are known before training."""
    lit = np.stack([np.any(images > 0, axis=0), np.any(images < 0, axis=0)])  # per pixel: > 0, < 0 seen
    masks = [np.zeros(weights.shape, bool) for weights in parameters[::2]]
    masks[0] = FROZEN_FIRST_LAYER[network.model](parameters[0], parameters[1], images, lit)
    return masks


def _frozen_multi(weights, bias, images, lit):
    """``W_ji`` (``(out, in)``) gets the gradient ``g_j x_i [W_ji x_i > 0]``: zero at every step unless
    some training image makes ``W_ji x_i`` positive (on pixels, every ``W_ji <= 0`` is frozen)."""
    return ~(((weights > 0) & lit[0][None]) | ((weights < 0) & lit[1][None]))


def _frozen_central(weights, bias, images, lit):
    """``W_ij`` (``(in, out)``) gets the gradient ``x_i g_j [unit j active]``: zero at every step where
    pixel ``i`` is zero in every training image, or unit ``j`` is inactive on every one of them
    (then nothing ever changes its weights, its bias or its inputs: it stays inactive)."""
    dead = np.all(_preactivations(images, weights, bias) < -DEAD_MARGIN, axis=0)
    return ~(lit[0] | lit[1])[:, None] | dead[None]


FROZEN_FIRST_LAYER = {"multi": _frozen_multi, "central": _frozen_central}


def _preactivations(images, weights, bias, block=5000):
    """``images @ weights + bias`` in float64, ``block`` images at a time."""
    return np.concatenate([images[start:start + block].astype(np.float64) @ weights + bias
                           for start in range(0, len(images), block)])


def measurements(inputs, hidden, gradients, synapses):
    """What one step does to sparsity, for the claims study: ``(names, float32 vector)``.

    Per hidden layer ``l``: the fractions of units whose output is non-zero
    (``units_nonzero_l``) and positive (``units_positive_l``); for the multi-threshold network
    (``synapses``: per hidden layer each unit's fraction of positive synapses, else None)
    also ``synapses_positive_l``, the fraction of synapses with ``W_ji x_i > 0``. Per weight
    matrix ``W_kl``: ``gradient_nonzero_W_kl``, the fraction of its gradient's non-zero entries,
    counted from the factors of the gradient (``_gradient_nonzero``), which never materialise
    the gradient a second time.
    """
    names, values = [], []
    for layer, (output, positive) in enumerate(zip(hidden, synapses), 1):
        if positive is not None:
            names.append("synapses_positive_%d" % layer)
            values.append(tf.reduce_mean(positive))
        names += ["units_nonzero_%d" % layer, "units_positive_%d" % layer]
        values += [tf.reduce_mean(tf.abs(tf.sign(output))), tf.reduce_mean(tf.sign(tf.nn.relu(output)))]
    signals, synapses = [inputs] + list(hidden), list(synapses) + [None]  # the output layer is dense
    for layer, (signal, bias_gradient, positive) in enumerate(zip(signals, gradients[1::2], synapses)):
        names.append("gradient_nonzero_W_%d%d" % (layer, layer + 1))
        values.append(_gradient_nonzero(signal, bias_gradient, positive))
    return tuple(names), tf.stack(values)


def _positive_synapses(weights, signal):
    """Per unit ``j`` of a multi-threshold layer, the fraction of its synapses with ``W_ji x_i > 0``."""
    return tf.reduce_mean(tf.sign(tf.nn.relu(tf.multiply(tf.reshape(signal, (-1,)), weights))), axis=1)


def _gradient_nonzero(signal, bias_gradient, positive_synapses=None):
    """Fraction of non-zero entries of a layer's weight gradient, from its factors.

    With ``g = dL/db``: a dense layer's weight gradient is the outer product of its input and
    ``g``, non-zero where both are; the multi-threshold layer's is ``g_j x_i [W_ji x_i > 0]``,
    non-zero where ``g_j`` is and the synapse is positive. (Tests compare with a direct count.)
    """
    units = tf.abs(tf.sign(tf.reshape(bias_gradient, (-1,))))
    if positive_synapses is not None:
        return tf.reduce_mean(units * positive_synapses)
    return tf.reduce_mean(tf.abs(tf.sign(signal))) * tf.reduce_mean(units)
