"""Multi-threshold neuron layers: the activation acts on every synapse, before the sum."""

from mtneuron.tf1 import tf


def multi_threshold_neuron_layer(input_values, weights, b, activation=tf.nn.relu):
    """The blog's batch-1 layer: ``out_j = sum_i act(W_ji * x_i) + b_j``.

    ``input_values`` has shape ``(N,)``, ``weights`` ``(M, N)`` and ``b`` ``(M,)``; the
    result has shape ``(M,)``. Broadcasting multiplies every row of ``weights`` by the input.
    """
    return tf.reduce_sum(activation(tf.multiply(input_values, weights)), axis=1) + b
