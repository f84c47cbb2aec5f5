"""Part II: minibatch networks, their training loop and records, the command, the linearity check."""

import json
import os

import numpy as np
import pytest

from mtneuron import minibatch
from mtneuron.models import build_minibatch_graph
from mtneuron.records import MinibatchSpec, spec_of
from mtneuron.tf1 import tf
from tests.helpers import ROOT, synthetic, synthetic_datasets


@pytest.mark.parametrize("architecture", ["mlp", "cnn"])
@pytest.mark.parametrize("kind", ["multi", "central"])
def test_networks_take_any_batch_size(architecture, kind):
    model = build_minibatch_graph(architecture, kind, "scaled")
    assert model.logits.shape.as_list() == [None, 10]
    with tf.Session(graph=model.graph) as session:
        session.run(model.init)
        for batch in (1, 3):
            logits = session.run(model.logits, {model.inputs: np.random.rand(batch, 784)})
            assert logits.shape == (batch, 10) and np.isfinite(logits).all()


@pytest.mark.parametrize("init, std", [("blog", 1.0), ("scaled", np.sqrt(2.0 / 784))])
def test_blog_and_scaled_initialisations(init, std):
    model = build_minibatch_graph("mlp", "multi", init)
    with model.graph.as_default():
        kernel = [v for v in tf.trainable_variables() if v.op.name == "hidden1/kernel"][0]
    with tf.Session(graph=model.graph) as session:
        session.run(model.init)
        assert abs(session.run(kernel).std() / std - 1) < 0.05


def test_first_multi_layer_of_the_mlp_takes_one_product():
    model = build_minibatch_graph("mlp", "multi")
    products = [op.name for op in model.graph.get_operations() if op.type == "MatMul"
                and "gradients" not in op.name]
    assert len([name for name in products if name.startswith("hidden1/")]) == 1
    assert len([name for name in products if name.startswith("hidden2/")]) == 2


def test_minibatch_record(tmp_path):
    spec = MinibatchSpec(architecture="mlp", kind="multi", batch_size=8, n_epochs=2, n_examples=48,
                         average_every=16)
    data = synthetic_datasets(n=60)
    data = data._replace(validation=synthetic(n=20, seed=5))
    record = minibatch.train(spec, data, threads=1, progress=False)
    assert record["examples"] == 96 and len(record["losses"]) == 6 and record["examples_per_point"] == 16
    assert len(record["validation_accuracies"]) == 2 and 0 <= record["accuracy"] <= 1
    assert spec_of(record, MinibatchSpec) == spec and spec.filename == "run_mlp_multi_scaled_b8.json"


def test_blog_multi_layer_is_linear_on_pixels_and_relu_layer_is_not():
    images = np.random.RandomState(0).rand(50, 784).astype(np.float32)
    check = minibatch.nonnegative_linearity(images, pairs=40)
    assert check["multi_additivity"] < 1e-5 and check["multi_vs_relu_w_x"] < 1e-5
    assert check["central_additivity"] > 0.1


def test_part2_command_on_a_quick_configuration(tmp_path, mnist_dir):
    from tests.test_cli import run

    out = str(tmp_path / "part2")
    result = run("part2.py", ["--architectures", "mlp", "cnn", "--batch-sizes", "32", "--inits", "scaled",
                              "--epochs", "1", "--examples-per-epoch", "640", "--no-progress", "--out", out],
                 mnist_dir)
    assert result.returncode == 0, result.stderr
    names = sorted(name for name in os.listdir(out) if name.startswith("run_"))
    assert names == ["run_cnn_central_scaled_b32.json", "run_cnn_multi_scaled_b32.json",
                     "run_mlp_central_scaled_b32.json", "run_mlp_multi_scaled_b32.json"]
    with open(os.path.join(out, names[0])) as stream:
        assert json.load(stream)["examples"] == 640
    with open(os.path.join(out, "summary.md")) as stream:
        summary = stream.read()
    assert "| CNN | Multi-threshold | scaled | 32 |" in summary and "is linear" in summary
    assert os.path.exists(os.path.join(out, "learning_curves.png"))
    assert os.path.exists(os.path.join(ROOT, "scripts", "part2.py"))
