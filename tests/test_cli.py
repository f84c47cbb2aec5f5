"""The engine-equivalence and benchmark commands on short configurations; seed lists."""

import argparse
import os
import subprocess
import sys

import pytest

from mtneuron import engine
from mtneuron.cli import _seeds
from tests.helpers import ROOT

needs_xla = pytest.mark.skipif(not engine.xla_available(), reason="this TensorFlow build has no XLA")


def run(script, args, mnist_dir):
    env = dict(os.environ, MTNEURON_DATA=mnist_dir)
    return subprocess.run([sys.executable, os.path.join(ROOT, "scripts", script)] + args,
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=900)


@pytest.mark.parametrize("text, seeds", [("1-5", [1, 2, 3, 4, 5]), ("3", [3]), ("1,4,7", [1, 4, 7]),
                                         ("1-3,9", [1, 2, 3, 9])])
def test_seed_lists_and_ranges(text, seeds):
    assert _seeds(text) == seeds


@pytest.mark.parametrize("text", ["", "a-b", "1-", "x"])
def test_bad_seed_lists_are_refused(text):
    with pytest.raises(argparse.ArgumentTypeError):
        _seeds(text)


@needs_xla
def test_short_horizon_engine_equivalence(tmp_path, mnist_dir):
    report = str(tmp_path / "equivalence.md")
    result = run("engine_equivalence.py", [
        "--seeds", "1-5", "--learning-rates", "0.001", "--epochs", "1",
        "--examples-per-epoch", "50", "--test-examples", "500", "--no-progress",
        "--out", str(tmp_path / "runs"), "--report", report], mnist_dir)
    assert result.returncode == 0, result.stderr
    assert sorted(os.listdir(str(tmp_path / "runs" / "fast"))) == sorted(
        ["run_%s_0.001_seed%d.json" % (model, seed) for model in ("central", "multi") for seed in range(1, 6)]
        + ["tensorboard"])
    with open(report) as stream:
        text = stream.read()
    assert "paired t-test" in text and "Wilcoxon" in text and "TOST" in text
    # 50 steps: the engines still differ in the last bits only, well inside the margins
    assert "**Overall verdict: equivalent**" in text or "**Overall verdict: indistinguishable**" in text
    assert "equivalent" in result.stdout or "indistinguishable" in result.stdout


def test_benchmark_prints_ratios_and_layouts(tmp_path, mnist_dir):
    out = str(tmp_path / "benchmarks.md")
    result = run("benchmark.py", ["--engines", "faithful", "exact", "--models", "central",
                                  "--repeats", "1", "--parts", "engines", "--out", out], mnist_dir)
    assert result.returncode == 0, result.stderr
    with open(out) as stream:
        text = stream.read()
    assert text.strip() == result.stdout.strip()
    assert "| faithful | central |" in text and "1.00x" in text
    assert "%d runs x 1 thread" % (os.cpu_count() or 1) in text
    assert "`python scripts/benchmark.py --engines faithful exact" in text


def test_layer_benchmark_measures_every_variant(tmp_path):
    out = str(tmp_path / "layers.md")
    result = run("benchmark.py", ["--parts", "layers", "--layer-batches", "1", "8", "--conv-batches", "2",
                                  "--out", out], "")
    assert result.returncode == 0, result.stderr
    with open(out) as stream:
        text = stream.read()
    for variant in ("dense", "identity", "non-negative", "general chunked", "naive broadcast", "conv2d",
                    "multi-threshold conv2d"):
        assert "| %s | " % variant in text
    assert "| dense | 8 |" in text and "| 1.00x |" in text
