"""network_benchmark.py: every network's step and the floor measured for real (slow); the report's ratios,
floor and target on made-up measurements."""

import pytest

from mtneuron.studies.benchmarks import networks as network_benchmark


@pytest.mark.slow
@pytest.mark.parametrize("architecture,kind", network_benchmark.NETWORKS)
def test_every_network_measures_a_training_step(architecture, kind, mnist_dir):
    result = network_benchmark.measure_network(architecture, kind, 4, mnist_dir, repeats=1)
    assert (result["architecture"], result["kind"], result["batch"]) == (architecture, kind, 4)
    assert result["seconds"] > 0


@pytest.mark.slow
def test_the_floor_is_one_pass_over_both_per_synapse_layers(mnist_dir):
    result = network_benchmark.measure_floor(3, mnist_dir, repeats=1)
    assert result["terms"] == 3 * (784 * 251 + 251 * 87) and result["seconds"] > 0


def made_up(per_synapse=0.010, version="2.21.0"):
    """Made-up measurements at batch 128: central 1 ms, multi 2 ms, every per-synapse neuron ``per_synapse``
    seconds; a floor of 5 ms."""
    seconds = {"central": 0.001, "multi": 0.002, "linear": 0.0005}
    steps = [{"architecture": architecture, "kind": kind, "batch": 128,
              "seconds": seconds.get(kind, per_synapse) * (3 if architecture == "cnn" else 1)}
             for architecture, kind in network_benchmark.NETWORKS]
    return {"steps": steps, "floors": [{"batch": 128, "seconds": 0.005, "terms": 1000}],
            "environment": {"tensorflow_version": version}}


def test_the_report_gives_each_step_against_multi_and_central_and_in_passes_of_the_floor():
    text = network_benchmark.network_report(made_up())
    assert "## Minibatch networks on TensorFlow 2.21.0: one training step" in text
    assert "| MLP | heaviside | 128 | 10.00 | 5.0x | 10.0x |" in text
    assert "| CNN | multi | 128 | 6.00 | 3.0x | 6.0x |" in text
    assert "| Linear | linear | 128 | 0.50 | 0.2x | 0.5x |" in text
    assert "takes 5.00 ms (5000.00 ns a term); a per-synapse step, which needs a forward and a backward " \
           "pass, takes 2.0-2.0 passes." in text
    assert "heaviside 5.0x, sigmoid 5.0x, relu_thresholds 5.0x (target <= 15x on TF 2.x: met)" in text


def test_the_target_is_not_met_past_15_times_a_multi_relu_step():
    text = network_benchmark.network_report(made_up(per_synapse=0.031))
    assert "heaviside 15.5x" in text and "(target <= 15x on TF 2.x: not met)" in text
