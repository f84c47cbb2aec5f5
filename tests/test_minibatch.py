"""Tests for mtneuron.train.minibatch: the networks, the derived init, the training loop."""

import os
import sys

import numpy as np
import pytest

from mtneuron import networks
from mtneuron.data import DataSet, Datasets
from mtneuron.run import records
from mtneuron.run.records import RunContext
from mtneuron.tf1 import tf
from mtneuron.train import minibatch
from tests.helpers import synthetic

QUIET = RunContext(threads=1, progress=False)


def datasets(n=60, poison=False):
    """Synthetic train, validation and test sets shaped like MNIST."""
    return Datasets(train=synthetic(n=n, poison=poison), validation=synthetic(n=20, seed=5),
                    test=synthetic(n=30, seed=1))


def test_prefer_onednn_keeps_what_the_user_said(monkeypatch):
    """Before TensorFlow loads, the environment is the user's; after, ``tf1`` has set its own default
    there and ``tf1.ONEDNN_CHOSEN`` holds what the user had set."""
    from mtneuron import tf1

    for chosen, expected in ((None, "1"), ("0", "0")):
        monkeypatch.setattr(tf1, "ONEDNN_CHOSEN", chosen)
        monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "0")  # tf1's default
        minibatch.prefer_onednn()
        assert os.environ["TF_ENABLE_ONEDNN_OPTS"] == expected
    monkeypatch.delitem(sys.modules, "mtneuron.tf1")
    for before, expected in ((None, "1"), ("0", "0")):
        if before is None:
            monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS", raising=False)
        else:
            monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", before)
        minibatch.prefer_onednn()
        assert os.environ["TF_ENABLE_ONEDNN_OPTS"] == expected


@pytest.mark.parametrize("architecture", ["mlp", "cnn"])
@pytest.mark.parametrize("kind", ["multi", "central"])
def test_networks_take_any_batch_size(architecture, kind):
    model = networks.build_graph(architecture, kind, "scaled")
    assert model.logits.shape.as_list() == [None, 10]
    with tf.Session(graph=model.graph) as session:
        session.run(model.init)
        for batch in (1, 3):
            logits = session.run(model.logits, {model.inputs: np.random.rand(batch, 784)})
            assert logits.shape == (batch, 10) and np.isfinite(logits).all()


def test_unknown_networks_are_refused():
    with pytest.raises(ValueError, match="unknown network"):
        networks.build_graph("rnn", "multi")


@pytest.mark.parametrize("init, std", [("blog", 1.0), ("scaled", np.sqrt(2.0 / 784))])
def test_blog_and_scaled_initialisations(init, std):
    model = networks.build_graph("mlp", "multi", init)
    with model.graph.as_default():
        kernel = [v for v in tf.trainable_variables() if v.op.name == "hidden1/kernel"][0]
    with tf.Session(graph=model.graph) as session:
        session.run(model.init)
        assert abs(session.run(kernel).std() / std - 1) < 0.05


def test_first_multi_layer_of_the_mlp_takes_one_product():
    model = networks.build_graph("mlp", "multi")
    products = [op.name for op in model.graph.get_operations() if op.type == "MatMul"
                and "gradients" not in op.name]
    assert len([name for name in products if name.startswith("hidden1/")]) == 1
    assert len([name for name in products if name.startswith("hidden2/")]) == 2


def test_minibatch_record():
    spec = minibatch.MinibatchSpec(architecture="mlp", kind="multi", batch_size=8, n_epochs=2, n_examples=48,
                                   average_every=16)
    record = minibatch.train(spec, datasets(), QUIET)
    assert record["examples"] == 96 and len(record["losses"]) == 6 and record["examples_per_point"] == 16
    assert len(record["validation_accuracies"]) == 2 and 0 <= record["accuracy"] <= 1
    assert (record["epochs_trained"], record["best_epoch"]) == (2, 2)
    assert record["validation_accuracy"] == record["validation_accuracies"][-1]
    assert 0 < record["us_per_step"] < 1e6 * record["train_time_s"] / 12  # 12 steps, scoring left out
    assert not record["diverged"] and record["status"] == "complete"
    assert records.spec_of(record, minibatch.MinibatchSpec) == spec


def test_curve_windows_run_on_across_epochs():
    spec = minibatch.MinibatchSpec(architecture="mlp", kind="central", batch_size=8, n_epochs=2,
                                   n_examples=40, average_every=24)
    record = minibatch.train(spec, datasets(), QUIET)  # 5 batches an epoch, 3 a point: 10 batches, 3 points
    assert record["examples"] == 80 and len(record["losses"]) == 3 and record["examples_per_point"] == 24


def test_a_non_finite_loss_ends_the_run():
    spec = minibatch.MinibatchSpec(architecture="mlp", kind="multi", batch_size=8, n_epochs=2, n_examples=48,
                                   average_every=32)
    record = minibatch.train(spec, datasets(poison=True), QUIET)
    assert record["diverged"] and record["examples"] == 8 and len(record["losses"]) == 1
    assert len(record["validation_accuracies"]) == 1


class _Session:
    """Stands in for a session: ``run`` of the parameters gives the epoch's number, of the restore op
    records what it was fed."""

    def __init__(self):
        self.epoch, self.restored = 0, None

    def run(self, fetches, feed=None):
        if fetches == "assign":
            self.restored = list(feed.values())
        return [self.epoch]


def test_early_stopping_keeps_the_best_epoch_and_stops_after_patience_epochs_without_a_better_one():
    session = _Session()
    model = networks.MinibatchGraph(*[None] * 10, parameters=["weights"], restore=(["value"], "assign"))
    best = minibatch._BestEpoch(session, model, patience=2)
    stops = []
    for session.epoch, accuracy in enumerate([0.5, 0.7, 0.6, 0.7, 0.9], 1):
        stops.append(best.add(accuracy))
    assert stops == [False, False, False, True, False]  # a tie is no better
    best = minibatch._BestEpoch(session, model, patience=2)
    for session.epoch, accuracy in enumerate([0.5, 0.7, 0.6, 0.7], 1):
        best.add(accuracy)
    best.restore()
    assert (best.epoch, best.accuracy, session.restored) == (2, 0.7, [2])


def test_without_patience_every_epoch_trains_and_the_last_is_scored():
    session = _Session()
    model = networks.MinibatchGraph(*[None] * 10, parameters=["weights"], restore=(["value"], "assign"))
    best = minibatch._BestEpoch(session, model, patience=None)
    assert not any(best.add(accuracy) for accuracy in [0.9, 0.5, 0.4])
    best.restore()
    assert (best.epoch, best.accuracy, session.restored) == (3, 0.4, None)


def test_an_early_stopped_run_is_scored_as_a_run_that_ended_at_its_best_epoch():
    settings = dict(architecture="mlp", kind="multi", batch_size=8, n_examples=48, average_every=16,
                    learning_rate=0.05)
    stopped = minibatch.train(minibatch.MinibatchSpec(n_epochs=6, patience=1, **settings), datasets(), QUIET)
    validation = stopped["validation_accuracies"]
    assert stopped["best_epoch"] == 1 + int(np.argmax(validation))
    assert stopped["epochs_trained"] == len(validation) <= 6
    assert stopped["epochs_trained"] - stopped["best_epoch"] == 1  # stopped early: the rate is too high
    assert stopped["validation_accuracy"] == max(validation)
    ended = minibatch.train(minibatch.MinibatchSpec(n_epochs=stopped["best_epoch"], **settings), datasets(),
                            QUIET)
    assert (ended["validation_accuracy"], ended["accuracy"]) == (stopped["validation_accuracy"],
                                                                 stopped["accuracy"])


def statistics(inputs, fan_in=None):
    """``networks.Inputs`` of ``inputs`` (rows), in numpy."""
    magnitudes = np.abs(inputs)
    return networks.Inputs(np.mean(inputs ** 2), np.mean(magnitudes), np.mean(inputs != 0),
                            np.var(magnitudes.mean(axis=1)))


def sampled_layer(kind, inputs, units=400, seed=0):
    """A per-synapse layer's outputs on ``inputs`` (rows) with ``derived_layer``'s weights, in numpy."""
    sd, bias = networks.derived_layer(kind, inputs.shape[1], statistics(inputs))
    weights = np.random.RandomState(seed).normal(0, sd, (units, inputs.shape[1]))
    synapses = weights[None] * inputs[:, None, :]
    act = {"multi": lambda v: np.maximum(v, 0), "heaviside": lambda v: (v > 0).astype(float),
           "sigmoid": lambda v: 1 / (1 + np.exp(-v))}[kind]
    return act(synapses).sum(axis=2) + bias


@pytest.mark.parametrize("kind", ["multi", "heaviside", "sigmoid"])
def test_derived_init_centres_a_layer_and_gives_relu_unit_variance(kind):
    rng = np.random.RandomState(1)
    pixel_like = rng.rand(300, 200) * (rng.rand(300, 200) < 0.3) * rng.rand(300, 1)  # a per-image shift
    shifted = rng.normal(0, 1, (300, 200)) + rng.normal(0, 2, (300, 1))  # centred, units sharing a shift
    for inputs in (pixel_like, shifted):
        outputs = sampled_layer(kind, inputs)
        assert abs(outputs.mean()) < 0.05 * outputs.std()
        assert kind != "multi" or abs(outputs.var() - 1) < 0.05


def test_derived_init_refuses_central_layers_with_the_fix():
    with pytest.raises(ValueError, match="take 'scaled'"):
        networks.derived_layer("central", 10, None)


@pytest.mark.parametrize("architecture, kind, init, message", [
    ("cnn", "heaviside", "scaled", "the CNN takes"), ("linear", "multi", "blog", "softmax regression"),
    ("mlp", "linear", "blog", "softmax regression"), ("mlp", "central", "derived", "take 'scaled'"),
    ("mlp", "multi", "glorot", "unknown network")])
def test_networks_that_cannot_be_built_are_refused(architecture, kind, init, message):
    with pytest.raises(ValueError, match=message):
        networks.build_graph(architecture, kind, init)


@pytest.mark.parametrize("architecture", ["mlp", "cnn"])
def test_derive_init_centres_every_multi_layer_with_unit_variance(architecture):
    images = datasets(n=200).train.images
    model = networks.build_graph(architecture, "multi", "derived")
    with tf.Session(graph=model.graph) as session:
        session.run(model.init)
        before = session.run(model.hidden, {model.inputs: images})
        networks.derive_init(session, model, images)
        hidden = session.run(model.hidden + [model.logits], {model.inputs: images})
    assert abs(before[-1].mean()) > 10  # N(0, 1) kernels and zero biases: far off
    tolerance = 0.1 if architecture == "mlp" else 0.5  # the CNN's outputs are max-pooled after the layer
    for outputs in hidden[:-1]:
        assert abs(outputs.mean()) < tolerance and abs(outputs.var() - 1) < tolerance
    assert 0.2 < hidden[-1].var() < 5  # the logits: LeCun on the last layer's measured variance


@pytest.mark.parametrize("architecture, kind", [
    ("mlp", "heaviside"), ("mlp", "sigmoid"), ("mlp", "relu_thresholds"), ("mlp", "paper"),
    ("mlp", "crelu"), ("mlp1", "central"), ("linear", "linear")])
def test_the_papers_neurons_the_controls_and_softmax_regression_train(architecture, kind):
    init = "scaled" if kind in ("linear", "crelu", "central") else "derived"
    spec = minibatch.MinibatchSpec(architecture=architecture, kind=kind, batch_size=8, init=init, n_epochs=1,
                                   n_examples=48, average_every=16)
    record = minibatch.train(spec, datasets(), QUIET)
    assert record["examples"] == 48 and not record["diverged"] and 0 <= record["accuracy"] <= 1
    assert all(np.isfinite(record["losses"]))


def test_the_papers_neuron_has_a_threshold_per_synapse_and_no_bias():
    model = networks.build_graph("mlp", "paper", "derived")
    names = [variable.op.name for variable in model.parameters if variable.op.name.startswith("hidden")]
    assert names == ["hidden1/kernel", "hidden1/thresholds", "hidden2/kernel", "hidden2/thresholds"]


def test_the_one_hidden_layer_control_is_784_87_10():
    model = networks.build_graph("mlp1", "central")
    assert [variable.shape.as_list() for variable in model.parameters] == [[784, 87], [87], [87, 10], [10]]


def test_the_positive_init_freezes_no_first_layer_weight_and_centres_it_with_unit_variance():
    images = datasets(n=200).train.images
    model = networks.build_graph("mlp", "multi", "positive")
    with tf.Session(graph=model.graph) as session:
        session.run(model.init)
        networks.derive_init(session, model, images)
        kernel = session.run(model.parameters[0])
        hidden = session.run(model.hidden, {model.inputs: images})
    assert (kernel > 0).all()
    for outputs in hidden:
        assert abs(outputs.mean()) < 0.1 and abs(outputs.var() - 1) < 0.1


def test_signed_inputs_of_any_width_take_the_multi_layers_two_products():
    """Centred or MNIST-1D inputs have both signs: the first multi layer is not told they are >= 0."""
    rng = np.random.RandomState(0)
    signals = [(rng.randn(n, 40).astype(np.float32), np.eye(10, dtype=np.float32)[rng.randint(0, 10, n)])
               for n in (48, 20, 30)]
    spec = minibatch.MinibatchSpec(architecture="mlp", kind="multi", batch_size=8, init="derived", n_epochs=1,
                                   n_examples=48, average_every=16, dataset="mnist1d")
    record = minibatch.train(spec, Datasets(*[DataSet(*pair) for pair in signals]), QUIET)
    assert record["examples"] == 48 and np.isfinite(record["losses"]).all()
    model = networks.build_graph("mlp", "multi", input_size=40, nonnegative_inputs=False)
    products = [op.name for op in model.graph.get_operations()
                if op.type == "MatMul" and "gradients" not in op.name]
    assert len([name for name in products if name.startswith("hidden1/")]) == 2


def test_centred_inputs_train_and_say_so_in_the_record():
    spec = minibatch.MinibatchSpec(architecture="mlp", kind="multi", batch_size=8, n_epochs=1, n_examples=48,
                                   average_every=16, centred=True)
    record = minibatch.train(spec, datasets(), QUIET)
    assert record["centred"] and record["dataset"] == "mnist" and np.isfinite(record["losses"]).all()
