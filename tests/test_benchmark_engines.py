"""The benchmark's tables and verdicts on made-up measurements; real measurements are slow."""

import pytest

from mtneuron import blog
from mtneuron.studies.benchmarks import engines, peer
from tests.helpers import fake_record

ENGINES = ("faithful", "fast")


def measured(rate, engine="fast"):
    return {"engine": engine, "examples_per_second": rate, "test_seconds": 1.0, "setup_seconds": 1.0}


SINGLE = {("faithful", "multi"): measured(400.0, "faithful"), ("fast", "multi"): measured(4000.0),
          ("faithful", "central"): measured(1200.0, "faithful"), ("fast", "central"): measured(6000.0)}


@pytest.mark.parametrize("major, central, sweep", [
    (1, "met", "fast 3.2 min, faithful 24.6 min (1/7.7); target 1/5: met;"),
    (2, "not met", "fast 3.2 min, faithful 24.6 min (1/7.7); target 3 min: not met;")])
def test_targets_follow_the_tensorflow_and_compare_the_sweeps(monkeypatch, major, central, sweep):
    monkeypatch.setattr(engines, "_major", lambda: major)
    parallel = {key: [value, value] for key, value in SINGLE.items()}
    lines = engines._targets(SINGLE, SINGLE, parallel, None, ENGINES, blog.MODELS, 2)
    target = engines.SPEED_TARGETS[major]
    assert lines[2].startswith("- central: fast = 5.0x the faithful loop, one thread each (target %.0fx: %s)"
                               % (target, central))
    assert "- multi: fast = 10.0x the faithful loop, one thread each (target %.0fx: met)" % target in lines[3]
    assert lines[4].startswith("- Full default sweep, 2 runs at a time, projected: " + sweep)


def test_the_projected_sweep_is_the_blogs_eight_runs_of_220000_steps():
    rates = {model: measured(2200.0) for model in blog.MODELS}
    assert engines.BLOG_STEPS == 220000 and len(engines.BLOG_RUNS) == 8
    assert engines.projected_sweep_minutes(rates, 1) == pytest.approx(8 * (100 + 2) / 60)
    assert engines.projected_sweep_minutes(rates, 4) == pytest.approx(2 * (100 + 2) / 60)
    lines = engines._projection_table(SINGLE, {key: [value] for key, value in SINGLE.items()}, ENGINES,
                                        blog.MODELS, 2)
    assert lines[0] == "### Projected full blog sweep (8 runs x 220,000 steps + 8 test evaluations)"
    header = "| engine | 2 runs at a time, 1 thread each | 1 run at a time, 1 thread |"
    assert lines[2].split("\n")[0] == header
    assert engines._projection_table(SINGLE, {}, ENGINES, ("multi",), 2) == []


def test_the_speed_table_compares_every_engine_with_the_faithful_loop():
    table = engines._speed_table(SINGLE, ENGINES, blog.MODELS)[2].split("\n")
    assert table[0] == "| engine | model | examples/s | vs faithful | us/step | test (s) | set-up (s) |"
    assert table[2:] == ["| faithful | central | 1200 | 1.00x | 833 | 1.00 | 1.0 |",
                         "| fast | central | 6000 | 5.00x | 167 | 1.00 | 1.0 |",
                         "| faithful | multi | 400 | 1.00x | 2500 | 1.00 | 1.0 |",
                         "| fast | multi | 4000 | 10.00x | 250 | 1.00 | 1.0 |"]
    assert "| fast | multi | 4000 | – |" in engines._speed_table(SINGLE, ("fast",), ("multi",))[2]


def test_the_layout_table_names_the_fastest_way_to_use_the_cores():
    threaded = {key: measured(value["examples_per_second"] * 1.5) for key, value in SINGLE.items()}
    parallel = {key: [value, value] for key, value in SINGLE.items()}
    lines = engines._layout_table(SINGLE, threaded, parallel, 2)
    assert "| fast | multi | 4000 | 6000 | 8000 | 2 runs x 1 thread |" in lines[4]
    assert lines[6] == ("Fastest layout in 4 of 4 cases: 2 runs x 1 thread; the sweep's defaults (`--jobs` = "
                        "cores, `--threads` = cores // jobs) are this layout.")


def measurements(version, speed, floor=4000.0):
    """Made-up ``engine_measurements`` of one TensorFlow: every rate of SINGLE times ``speed``."""
    single = [dict(SINGLE[key], examples_per_second=SINGLE[key]["examples_per_second"] * speed)
              for key in [(engine, model) for engine in ENGINES for model in blog.MODELS]]
    return {"engines": list(ENGINES), "models": list(blog.MODELS), "cores": 2, "repeats": 1, "seconds": 60.0,
            "single": single, "threaded": single, "parallel": [[one, one] for one in single],
            "alone": {"examples_per_second": floor, "parameters": 219839},
            "environment": {"tensorflow_version": version, "platform": "Linux", "python_version": "3",
                            "numpy_version": "1", "xla_flags": None}}


def test_the_peer_report_puts_every_engine_on_both_tensorflows_against_the_blogs_loop_on_tf1():
    tf1, tf2 = measurements("1.15.5", 1.0, floor=8000.0), measurements("2.21.0", 2.0, floor=10000.0)
    sweep = [dict(fake_record(model, rate, 21, 0.9), jobs=2, tensorflow_version="2.21.0")
             for model, rate in engines.BLOG_RUNS]
    text = peer.peer_report([tf1, tf2], [("results", sweep)])
    faithful = {model: SINGLE["faithful", model] for model in blog.MODELS}
    peer_minutes = engines.projected_sweep_minutes(faithful, 1)
    assert "the blog's own loop (`faithful`) on TensorFlow 1.15.5, one thread, one run at a time " \
           "(projected sweep %.1f min)" % peer_minutes in text
    assert "| TF 1.15.5 | faithful | multi | 400 | 2500 | 1.00x |" in text
    assert "| TF 2.21.0 | fast | multi | 8000 | 125 | 20.00x |" in text
    fast_tf2 = engines.projected_sweep_minutes({model: measured(SINGLE["fast", model]["examples_per_second"]
                                                                  * 2) for model in blog.MODELS}, 2)
    assert "| TF 2.21.0 | fast | %.1f min |" % fast_tf2 in text
    assert ("- TF 1.15.5, `fast`: cost per example vs the Adam-alone floor (125 us): central 1.33x, "
            "multi 2.00x (target <= 1.50x: not met); projected default sweep 15.4x faster") in text
    assert ("- TF 2.21.0, `fast`: cost per example vs the Adam-alone floor (100 us): central 0.83x, "
            "multi 1.25x (target <= 1.50x: met); projected default sweep 29.6x faster than the peer's "
            "(target >= 12x: met); ") in text
    at_floor = engines.projected_sweep_minutes(
        {model: dict(SINGLE["fast", model], examples_per_second=10000.0) for model in blog.MODELS}, 2)
    assert ("a step at the floor (set-up and tests as measured) would make the sweep %.1fx faster: the most "
            "a batch-1 engine" % (peer_minutes / at_floor)) in text
    assert "| results | fast, TF 2.21.0 | 8 | 2 |" in text


def test_without_tensorflow_1_the_peer_report_says_how_to_measure_it():
    assert "pass `--python` an interpreter with TensorFlow 1.15" in peer.peer_report(
        [measurements("2.21.0", 2.0)])


def test_the_engine_report_reads_the_measurements_alone():
    text = engines.engine_report(measurements("2.21.0", 1.0))
    assert text.startswith("## Training engines on TensorFlow 2.21.0\n")
    assert "| fast | multi | 4000 | 10.00x | 250 |" in text and "### Targets" in text


@pytest.mark.slow
def test_adam_alone_updates_every_parameter_of_the_blogs_network():
    result = engines.measure_adam_alone("multi", repeats=1)
    sizes = (blog.INPUT_SIZE,) + blog.HIDDEN_SIZES + (blog.NUM_CLASSES,)
    assert result["parameters"] == sum(n * m + m for n, m in zip(sizes, sizes[1:]))
    assert result["examples_per_second"] > 0 and result["engine"] == "Adam alone"
