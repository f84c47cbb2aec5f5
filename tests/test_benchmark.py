"""The benchmark's tables and verdicts on made-up measurements; real measurements are slow."""

import pytest

from mtneuron import benchmark, blog

ENGINES = ("faithful", "fast")


def measured(rate, engine="fast"):
    return {"engine": engine, "examples_per_second": rate, "test_seconds": 1.0, "setup_seconds": 1.0}


SINGLE = {("faithful", "multi"): measured(400.0, "faithful"), ("fast", "multi"): measured(4000.0),
          ("faithful", "central"): measured(1200.0, "faithful"), ("fast", "central"): measured(6000.0)}


@pytest.mark.parametrize("major, central, sweep", [
    (1, "met", "fast 3.2 min, faithful 24.6 min (1/7.7); target 1/5: met;"),
    (2, "not met", "fast 3.2 min, faithful 24.6 min (1/7.7); target 3 min: not met;")])
def test_targets_follow_the_tensorflow_and_compare_the_sweeps(monkeypatch, major, central, sweep):
    monkeypatch.setattr(benchmark, "_major", lambda: major)
    parallel = {key: [value, value] for key, value in SINGLE.items()}
    lines = benchmark._targets(SINGLE, SINGLE, parallel, None, ENGINES, blog.MODELS, 2)
    target = benchmark.SPEED_TARGETS[major]
    assert lines[2].startswith("- central: fast = 5.0x the faithful loop, one thread each (target %.0fx: %s)"
                               % (target, central))
    assert "- multi: fast = 10.0x the faithful loop, one thread each (target %.0fx: met)" % target in lines[3]
    assert lines[4].startswith("- Full default sweep, 2 runs at a time, projected: " + sweep)


def test_the_projected_sweep_is_the_blogs_eight_runs_of_220000_steps():
    rates = {model: measured(2200.0) for model in blog.MODELS}
    assert benchmark.BLOG_STEPS == 220000 and len(benchmark.BLOG_RUNS) == 8
    assert benchmark.projected_sweep_minutes(rates, 1) == pytest.approx(8 * (100 + 2) / 60)
    assert benchmark.projected_sweep_minutes(rates, 4) == pytest.approx(2 * (100 + 2) / 60)
    lines = benchmark._projection_table(SINGLE, {key: [value] for key, value in SINGLE.items()}, ENGINES,
                                        blog.MODELS, 2)
    assert lines[0] == "### Projected full blog sweep (8 runs x 220,000 steps + 8 test evaluations)"
    header = "| engine | 2 runs at a time, 1 thread each | 1 run at a time, 1 thread |"
    assert lines[2].split("\n")[0] == header
    assert benchmark._projection_table(SINGLE, {}, ENGINES, ("multi",), 2) == []


def test_the_speed_table_compares_every_engine_with_the_faithful_loop():
    table = benchmark._speed_table(SINGLE, ENGINES, blog.MODELS)[2].split("\n")
    assert table[0] == "| engine | model | examples/s | vs faithful | us/step | test (s) | set-up (s) |"
    assert table[2:] == ["| faithful | central | 1200 | 1.00x | 833 | 1.00 | 1.0 |",
                         "| fast | central | 6000 | 5.00x | 167 | 1.00 | 1.0 |",
                         "| faithful | multi | 400 | 1.00x | 2500 | 1.00 | 1.0 |",
                         "| fast | multi | 4000 | 10.00x | 250 | 1.00 | 1.0 |"]
    assert "| fast | multi | 4000 | – |" in benchmark._speed_table(SINGLE, ("fast",), ("multi",))[2]


def test_the_layout_table_names_the_fastest_way_to_use_the_cores():
    threaded = {key: measured(value["examples_per_second"] * 1.5) for key, value in SINGLE.items()}
    parallel = {key: [value, value] for key, value in SINGLE.items()}
    lines = benchmark._layout_table(SINGLE, threaded, parallel, 2)
    assert "| fast | multi | 4000 | 6000 | 8000 | 2 runs x 1 thread |" in lines[4]
    assert lines[6] == ("Fastest layout in 4 of 4 cases: 2 runs x 1 thread; the sweep's defaults (`--jobs` = "
                        "cores, `--threads` = cores // jobs) are this layout.")


@pytest.mark.slow
def test_adam_alone_updates_every_parameter_of_the_blogs_network():
    result = benchmark.measure_adam_alone("multi", repeats=1)
    sizes = (blog.INPUT_SIZE,) + blog.HIDDEN_SIZES + (blog.NUM_CLASSES,)
    assert result["parameters"] == sum(n * m + m for n, m in zip(sizes, sizes[1:]))
    assert result["examples_per_second"] > 0 and result["engine"] == "Adam alone"


@pytest.mark.slow
@pytest.mark.parametrize("variant", benchmark.DENSE_VARIANTS + benchmark.CONV_VARIANTS)
def test_every_layer_variant_measures_a_forward_and_backward_pass(variant):
    result = benchmark.measure_layer(variant, 2, repeats=2)
    assert result["variant"] == variant and result["batch"] == 2 and result["seconds"] > 0
