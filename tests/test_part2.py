"""Tests for mtneuron.studies.part2: specs, networks, training, the linearity check, report, command."""

import json
import os

import numpy as np
import pytest
from matplotlib.image import imread

from mtneuron.data import Datasets
from mtneuron.run import records
from mtneuron.run.records import RunContext
from mtneuron.studies import part2
from tests.helpers import run_script, synthetic

QUIET = RunContext(threads=1, progress=False)


def datasets(n=60, poison=False):
    """Synthetic train, validation and test sets shaped like MNIST."""
    return Datasets(train=synthetic(n=n, poison=poison), validation=synthetic(n=20, seed=5),
                    test=synthetic(n=30, seed=1))


def test_specs_cover_every_architecture_batch_size_init_and_kind_once():
    specs = part2.specs()
    assert len(specs) == 2 * 3 * 2 * 2 and len({spec.name for spec in specs}) == len(specs)
    assert specs[0].name == "run_mlp_central_blog_b1" and specs[-1].name == "run_cnn_multi_scaled_b128"
    one = part2.specs(part2.Settings(["cnn"], ["multi"], [32], ["blog"], 0.01, 7, 3, 640))
    assert one == [part2.MinibatchSpec("cnn", "multi", 32, "blog", 0.01, 7, 3, 640)]
    assert one[0].filename == "run_cnn_multi_blog_b32_seed7.json"
    assert records.spec_of({"spec": one[0].to_dict()}, part2.MinibatchSpec) == one[0]


def test_blog_multi_layer_is_linear_on_pixels_and_relu_layer_is_not():
    images = np.random.RandomState(0).rand(50, 784).astype(np.float32)
    check = part2.nonnegative_linearity(images, pairs=40)
    assert check["pairs"] == 40
    assert check["multi_additivity"] < 1e-5 and check["multi_vs_relu_w_x"] < 1e-5
    assert check["central_additivity"] > 0.1


def fake_run(architecture, kind, init, batch_size, accuracy=0.9):
    """A complete part-II record with flat curves, made without training."""
    spec = part2.MinibatchSpec(architecture=architecture, kind=kind, batch_size=batch_size, init=init)
    every = spec.average_every // batch_size * batch_size
    return dict(spec.to_dict(), losses=[0.5] * 4, accuracies=[accuracy] * 4, validation_accuracy=accuracy,
                accuracy=accuracy, diverged=False, examples_per_point=every, examples_per_second=100.0,
                wall_time_s=10.0, started_at=1.7e9, finished_at=1.7e9 + 10, command="python scripts/part2.py",
                spec=spec.to_dict(), status="complete")


def test_report_from_records(tmp_path):
    runs = [fake_run("mlp", "multi", "scaled", 1), fake_run("cnn", "central", "blog", 32, accuracy=0.95)]
    for run in runs:
        records.write_json(str(tmp_path / records.spec_of(run, part2.MinibatchSpec).filename), run)
    paths = part2.write_report(str(tmp_path))
    assert [os.path.basename(path) for path in paths] == ["learning_curves.png", "summary.md"]
    summary = (tmp_path / "summary.md").read_text()
    assert "| CNN | Central-threshold | blog | 32 | 0.9500 | 0.9500 | no | 10 | 100 |" in summary
    assert "MLP 784-251-87-10" in summary and "of the 55,000" in summary and "is linear" not in summary
    assert "## Provenance" in summary and "- runs: 2, from " in summary
    title = part2.curves_figure(runs)._suptitle.get_text()
    assert "1,100 (batch 1), 1,088 (batch 32) training examples" in title


def test_report_has_the_linearity_check_when_it_was_measured():
    check = {"pairs": 1000, "multi_additivity": 2.3e-7, "central_additivity": 4.2, "multi_vs_relu_w_x": 4e-7}
    summary = part2.summary_markdown([fake_run("mlp", "multi", "scaled", 128)], check)
    assert "## A multi-threshold layer on pixels is linear" in summary
    assert "is 2.3e-07 for the multi-threshold layer and 4.2 for the central-threshold" in summary


def test_one_batch_size_titles_its_points_once():
    title = part2.curves_figure([fake_run("mlp", "multi", "scaled", 128)])._suptitle.get_text()
    assert title.endswith("(means over every 1,024 training examples)")


@pytest.mark.slow
def test_part2_command_on_a_quick_configuration(tmp_path, mnist_dir, monkeypatch):
    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS", raising=False)  # importing mtneuron.tf1 here set it
    out = str(tmp_path / "part2")
    result = run_script(["--architectures", "mlp", "cnn", "--batch-sizes", "32", "--inits", "scaled",
                         "--epochs", "1", "--examples-per-epoch", "640", "--no-progress", "--out", out],
                        mnist_dir, "part2")
    assert result.returncode == 0, result.stderr
    names = sorted(name for name in os.listdir(out) if name.startswith("run_"))
    assert names == ["run_cnn_central_scaled_b32.json", "run_cnn_multi_scaled_b32.json",
                     "run_mlp_central_scaled_b32.json", "run_mlp_multi_scaled_b32.json"]
    with open(os.path.join(out, names[0])) as stream:
        record = json.load(stream)
    assert record["examples"] == 640 and record["onednn"] == "1"
    with open(os.path.join(out, "summary.md")) as stream:
        summary = stream.read()
    assert "| CNN | Multi-threshold | scaled | 32 |" in summary and "is linear" in summary
    assert imread(os.path.join(out, "learning_curves.png")).shape[:2] == (780, 400)  # 2 networks x 1 batch
