"""The one place that imports TensorFlow: its v1 API, with v2 behaviour disabled.

Everything else in mtneuron does ``from mtneuron.tf1 import tf``, so the same graph-mode
code runs on TensorFlow 1.15 and on current TensorFlow 2.x.
"""

import os

INSTALL_HINT = (
    "mtneuron needs TensorFlow: pip install 'mtneuron[cpu]' "
    "(or '[tf]' for the full build, '[tf1]' for TensorFlow 1.15 on Python 3.7)"
)

# Quiet C++ start-up logs, and use TensorFlow's own CPU kernels as TF 1.15 did: oneDNN's
# reordered sums would make results depend on the build. Both can be overridden; ONEDNN_CHOSEN
# is the user's own choice (None when unset), so that a study may take another default.
ONEDNN_CHOSEN = os.environ.get("TF_ENABLE_ONEDNN_OPTS")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

try:
    import tensorflow.compat.v1 as tf
except ImportError:
    raise ImportError(INSTALL_HINT) from None

tf.logging.set_verbosity(tf.logging.ERROR)
tf.disable_v2_behavior()


def release(version=tf.version.VERSION):
    """``(major, minor)`` of a TensorFlow version string: where behaviour depends on the release."""
    return tuple(int(part) for part in version.split(".")[:2])


__all__ = ["tf", "INSTALL_HINT", "ONEDNN_CHOSEN", "release"]


def session_config(threads=None):
    """A session config using ``threads`` threads per op pool (TensorFlow decides when None)."""
    if not threads:
        return tf.ConfigProto()
    return tf.ConfigProto(intra_op_parallelism_threads=threads, inter_op_parallelism_threads=threads)
