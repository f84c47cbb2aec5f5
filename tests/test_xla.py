"""xla.py: the flags each TensorFlow's XLA gets, and the probe that sets them first."""

import pytest

from mtneuron import xla
from mtneuron.tf1 import tf

CONFIG = tf.ConfigProto(intra_op_parallelism_threads=1, inter_op_parallelism_threads=1)
WIDE = "--xla_cpu_prefer_vector_width=512"
IEEE = "--xla_cpu_fast_math_honor_infs=true --xla_cpu_fast_math_honor_nans=true"


@pytest.mark.parametrize("before,version,after", [
    ({}, "2.21.0", WIDE), ({"XLA_FLAGS": "--xla_dump_to=/tmp/x"}, "2.18.1", "--xla_dump_to=/tmp/x " + WIDE),
    ({}, "2.17.0", None), ({}, "1.15.5", IEEE),
    ({"XLA_FLAGS": "--xla_cpu_prefer_vector_width=256"}, "2.21.0", "--xla_cpu_prefer_vector_width=256"),
    ({"XLA_FLAGS": "--xla_cpu_fast_math_honor_nans=false"}, "1.15.5",
     "--xla_cpu_fast_math_honor_nans=false --xla_cpu_fast_math_honor_infs=true")])
def test_xla_flags_only_where_xla_knows_them_and_never_over_the_users(before, version, after):
    environ = dict(before)
    xla.set_flags(environ, version)
    assert environ.get("XLA_FLAGS") == after


def test_the_xla_probe_sets_the_flags_first_and_sizes_thread_pools_like_the_trainer(monkeypatch):
    """XLA reads its flags at the first compilation, the probe's; and the first session of a process
    fixes TensorFlow's global pools: the probe must not make them larger than the trainer's, or an
    idle pool worker spins on the core a parallel run needs."""
    calls, session = [], xla.tf.Session

    def recording_session(*args, **kwargs):
        calls.append(kwargs.get("config"))
        return session(*args, **kwargs)

    monkeypatch.setattr(xla, "_AVAILABLE", [])
    monkeypatch.setattr(xla, "set_flags", lambda: calls.append("flags"))
    monkeypatch.setattr(xla.tf, "Session", recording_session)
    available = xla.available(CONFIG)
    assert calls == ["flags", CONFIG] and xla.available(None) == available and len(calls) == 2
