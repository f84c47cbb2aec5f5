"""XLA on the CPU: whether this TensorFlow build has it (asked once) and the flags it compiles with."""

import os

from mtneuron.tf1 import release, tf

FLAG_POLICY = (  # (flag, first release it applies to, first release it no longer applies to)
    # 512-bit vectors where the CPU has them (XLA prefers 256): the fast step is memory- and
    # vector-bound, and AVX-512 makes it about a quarter faster. Older XLA does not know the flag,
    # and an unknown flag is fatal.
    ("--xla_cpu_prefer_vector_width=512", (2, 18), None),
    # TensorFlow 1.x's XLA compiles CPU code with fast math, which does not keep infinities and NaNs
    # (a relu(W) x of infinite pixels came out finite, hiding a diverged run); TF 2.x keeps them.
    ("--xla_cpu_fast_math_honor_infs=true", None, (2, 0)),
    ("--xla_cpu_fast_math_honor_nans=true", None, (2, 0)),
)


def set_flags(environ=os.environ, version=tf.version.VERSION):
    """Add ``FLAG_POLICY``'s flags for this TensorFlow to ``XLA_FLAGS``, keeping the user's own
    setting of any of them. XLA reads ``XLA_FLAGS`` at its first compilation, so ``available``
    (the first) calls this."""
    flags, this = environ.get("XLA_FLAGS", ""), release(version)
    for flag, since, until in FLAG_POLICY:
        applies = (since is None or this >= since) and (until is None or this < until)
        if applies and flag.split("=")[0] not in flags:
            flags = (flags + " " + flag).strip()
    if flags:
        environ["XLA_FLAGS"] = flags


def available(session_config=None):
    """Whether this TensorFlow build can compile and run a graph with XLA on the CPU (asked once).

    The probe is the process's first XLA compilation, so it sets the XLA flags first
    (``set_flags``). Its session takes the caller's ``session_config``: TensorFlow sizes
    its process-wide thread pools by the first session, and a pool larger than the trainer's keeps
    an idle worker spinning on the core that a parallel run needs.
    """
    if _AVAILABLE:
        return _AVAILABLE[0]
    set_flags()
    graph = tf.Graph()
    with graph.as_default():
        try:
            (doubled,) = tf.xla.experimental.compile(lambda x: x * 2.0, [tf.constant(1.0)])
            with tf.Session(config=session_config) as session:
                _AVAILABLE.append(bool(session.run(doubled) == 2.0))
        except (AttributeError, NotImplementedError, ValueError, tf.errors.OpError):
            _AVAILABLE.append(False)
    return _AVAILABLE[0]


_AVAILABLE = []
