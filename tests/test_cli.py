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
        "--seeds", "1-5", "--models", "multi", "--learning-rates", "0.001", "--epochs", "2",
        "--examples-per-epoch", "110", "--test-examples", "200", "--no-progress",
        "--out", str(tmp_path / "runs"), "--report", report], mnist_dir)
    assert result.returncode == 0, result.stderr
    assert sorted(os.listdir(str(tmp_path / "runs" / "fast"))) == sorted(
        ["run_multi_0.001_seed%d.json" % seed for seed in range(1, 6)] + ["tensorboard"])
    with open(report) as stream:
        text = stream.read()
    assert "paired t-test" in text and "Wilcoxon" in text and "TOST" in text
    assert "**indistinguishable**" in text  # 220 steps: the engines differ in the last bits only
    assert "indistinguishable" in result.stdout


def test_benchmark_prints_ratios_and_layouts(tmp_path, mnist_dir):
    out = str(tmp_path / "benchmarks.md")
    result = run("benchmark.py", ["--engines", "faithful", "exact", "--models", "central",
                                  "--repeats", "1", "--out", out], mnist_dir)
    assert result.returncode == 0, result.stderr
    with open(out) as stream:
        text = stream.read()
    assert text.strip() == result.stdout.strip()
    assert "| faithful | central |" in text and "1.00x" in text
    assert "%d runs x 1 thread" % (os.cpu_count() or 1) in text
    assert "`python scripts/benchmark.py --engines faithful exact" in text
