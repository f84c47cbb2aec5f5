"""mtneuron: the multi-threshold neuron, ``out_j = sum_i act(W_ji x_i) + b_j``, in TF1 graph mode.

Importing the package itself needs no TensorFlow (data, records and reports work without
it); ``mtneuron.layers``, ``models`` and ``training`` need it and say how to install it.
"""

__version__ = "0.1.0"
