"""layer_benchmark.py: every case's graph leaves nothing to fold; the targets' verdicts on made-up results."""

import numpy as np
import pytest

from mtneuron.studies.benchmarks import layers as layer_benchmark
from mtneuron.tf1 import tf


@pytest.mark.slow
@pytest.mark.parametrize("variant", layer_benchmark.DENSE_VARIANTS + layer_benchmark.CONV_VARIANTS)
def test_every_layer_variant_measures_a_forward_and_backward_pass(variant):
    result = layer_benchmark.measure_layer(variant, 2, repeats=2)
    assert result["variant"] == variant and result["batch"] == 2 and result["seconds"] > 0
    assert result["extra_mib"] >= 0


def ancestors(tensors):
    """Every op that ``tensors`` are computed from, through data and control inputs."""
    seen, stack = set(), [tensor.op for tensor in tensors]
    while stack:
        op = stack.pop()
        if op not in seen:
            seen.add(op)
            stack += [tensor.op for tensor in op.inputs] + list(op.control_inputs)
    return seen


def is_fill_of_ones(op):
    """A floating-point ``Fill`` of the constant 1: ``tf.gradients``'s upstream gradient when none is given
    (integer ones are shape arithmetic)."""
    value = op.inputs[1].op
    return (op.outputs[0].dtype.is_floating and value.type == "Const"
            and np.all(tf.make_ndarray(value.get_attr("value")) == 1))


@pytest.mark.parametrize("variant", layer_benchmark.DENSE_VARIANTS + layer_benchmark.CONV_VARIANTS)
def test_layer_cases_leave_nothing_for_grappler_to_fold(variant):
    """Inputs and the upstream gradient are fed, not constants that graph optimisation could fold away."""
    case = layer_benchmark._layer_case(variant, 3)
    ops = case.graph.get_operations()
    assert max(op.outputs[0].shape.num_elements() for op in ops if op.type == "Const") <= 32
    assert not [op for op in ops if op.type == "OnesLike" or op.type == "Fill" and is_fill_of_ones(op)]
    assert case.upstream.op.type == "Placeholder" and case.upstream in case.feed
    assert len(case.gradients) == 3
    for gradient in case.gradients:
        assert case.upstream.op in ancestors([gradient])
    for placeholder, value in case.feed.items():
        assert placeholder.op.type == "Placeholder" and value.shape == tuple(placeholder.shape.as_list())
        assert len(np.unique(value)) > value.size // 2  # random numbers, not a constant fed


def layer_results(identity=2.0, nonnegative=1.1, conv=2.4, memory=2.0, per_synapse=0.5):
    """Made-up layer measurements: the variants' ratios to their baselines, which take 1 s and 10 MiB
    (the per-synapse layer's memory against the chunked path's)."""
    results = {("per-synapse chunked", 1024): {"seconds": 9.0, "extra_mib": 10.0},
               ("per-synapse", 1024): {"seconds": 3.0, "extra_mib": 10.0 * per_synapse}}
    for batch in (128, 1024):
        results["dense", batch] = {"seconds": 1.0, "extra_mib": 10.0}
        results["identity", batch] = {"seconds": identity, "extra_mib": 10.0 * memory}
        results["non-negative", batch] = {"seconds": nonnegative, "extra_mib": 10.0 * memory}
    for batch in (32, 128):
        results["conv2d", batch] = {"seconds": 1.0, "extra_mib": 10.0}
        results["multi-threshold conv2d", batch] = {"seconds": conv, "extra_mib": 10.0}
    return results


def test_layer_targets_are_met_by_results_within_them():
    assert layer_benchmark.layer_target_lines(layer_results()) == [
        "- identity, batch 128, time: 2.00x dense (target <= 2.2x: met)",
        "- identity, batch 1024, time: 2.00x dense (target <= 2.2x: met)",
        "- non-negative, batch 128, time: 1.10x dense (target <= 1.2x: met)",
        "- non-negative, batch 1024, time: 1.10x dense (target <= 1.2x: met)",
        "- multi-threshold conv2d, batch 32, time: 2.40x conv2d (target <= 2.5x: met)",
        "- multi-threshold conv2d, batch 128, time: 2.40x conv2d (target <= 2.5x: met)",
        "- identity, batch 1024, extra memory: 2.00x dense (target <= 3.0x: met)",
        "- non-negative, batch 1024, extra memory: 2.00x dense (target <= 3.0x: met)",
        "- per-synapse, batch 1024, extra memory: 0.50x per-synapse chunked (target <= 1.0x: met)"]


def test_layer_targets_are_not_met_beyond_them_or_when_not_measured():
    results = layer_results(identity=2.3, nonnegative=1.3, conv=2.6, memory=3.5, per_synapse=1.5)
    del results["identity", 128]
    results["dense", 1024]["extra_mib"] = 0.0
    lines = layer_benchmark.layer_target_lines(results)
    assert lines[:3] == ["- identity, batch 128, time: not measured (target <= 2.2x)",
                         "- identity, batch 1024, time: 2.30x dense (target <= 2.2x: not met)",
                         "- non-negative, batch 128, time: 1.30x dense (target <= 1.2x: not met)"]
    assert lines[4] == "- multi-threshold conv2d, batch 32, time: 2.60x conv2d (target <= 2.5x: not met)"
    assert lines[6:] == ["- identity, batch 1024, extra memory: not measured (target <= 3.0x)",
                         "- non-negative, batch 1024, extra memory: not measured (target <= 3.0x)",
                         "- per-synapse, batch 1024, extra memory: 1.50x per-synapse chunked "
                         "(target <= 1.0x: not met)"]
