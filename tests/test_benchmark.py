"""The benchmark's verdicts against its targets, on made-up measurements (no timing here)."""

from mtneuron import benchmark


def measured(rate):
    return {"examples_per_second": rate, "test_seconds": 1.0, "setup_seconds": 1.0}


def test_targets_follow_this_tensorflow_and_compare_the_sweeps():
    single = {("faithful", "multi"): measured(400.0), ("fast", "multi"): measured(4000.0),
              ("faithful", "central"): measured(1200.0), ("fast", "central"): measured(6000.0)}
    parallel = {key: [value, value] for key, value in single.items()}
    lines = benchmark._targets(single, single, parallel, None, ("faithful", "fast"), ("central", "multi"), 2)
    target = benchmark.SPEED_TARGETS[benchmark._major()]
    assert "- multi: fast = 10.0x the faithful loop, one thread each (target %.0fx: met)" % target in lines[3]
    assert lines[2].startswith("- central: fast = 5.0x") and ("not met" in lines[2]) == (target > 5)
    sweep = lines[4]
    assert sweep.startswith("- Full default sweep, 2 runs at a time, projected: fast ") and "(1/" in sweep
    assert ": met" in sweep or ": not met" in sweep
