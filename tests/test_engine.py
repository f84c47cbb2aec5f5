"""The in-graph engines against the faithful loop: exact is bit-identical, fast agrees within 1e-5."""

import os
import subprocess
import sys

import numpy as np
import pytest

from mtneuron import xla
from mtneuron.blog_runs import RunSpec
from mtneuron.data import DataSet
from mtneuron.tf1 import tf
from mtneuron.train import engine, fast
from mtneuron.train.engine import FaithfulTrainer
from tests.helpers import ROOT, synthetic, synthetic_datasets

MODELS = ["multi", "central"]
CONFIG = tf.ConfigProto(intra_op_parallelism_threads=1, inter_op_parallelism_threads=1)
needs_xla = pytest.mark.skipif(not xla.available(CONFIG), reason="this TensorFlow build has no XLA")


def spec(model, **settings):
    fields = dict(model=model, learning_rate=0.001, n_epochs=2, n_examples=550, average_every=110,
                  test_examples=30)
    fields.update(settings)
    return RunSpec(**fields)


def trajectory(trainer_class, model, data, chunks):
    """Per chunk: (losses, accuracies, measures, parameters) after it; then the test accuracy."""
    trainer = trainer_class(spec(model), data, CONFIG)
    try:
        states = [trainer.steps(count) + (trainer.parameters(),) for count in chunks]
        return states, trainer.accuracy(data.test)
    finally:
        trainer.close()


@pytest.mark.parametrize("model", MODELS)
def test_exact_engine_is_bit_identical_to_the_faithful_loop(model):
    data = synthetic_datasets(n=50)  # 130 steps cross two data epochs, one of them inside a chunk
    faithful, faithful_test = trajectory(FaithfulTrainer, model, data, [80, 50])
    exact, exact_test = trajectory(engine.ExactTrainer, model, data, [80, 50])
    for (*f_curves, f_params), (*e_curves, e_params) in zip(faithful, exact):
        for f_values, e_values in zip(f_curves + f_params, e_curves + e_params):
            np.testing.assert_array_equal(f_values, e_values)
    assert np.float32(faithful_test) == np.float32(exact_test)  # faithful sums float32 accuracies


@needs_xla
@pytest.mark.parametrize("model", MODELS)
def test_fast_engine_agrees_with_the_faithful_loop_after_1_and_10_steps(model):
    data = synthetic_datasets(n=500)  # one step per chunk: the fast engine compiles one chunk only
    faithful, _ = trajectory(FaithfulTrainer, model, data, [1] * 10)
    compiled, _ = trajectory(fast.FastTrainer, model, data, [1] * 10)
    faithful, compiled = [faithful[0], faithful[9]], [compiled[0], compiled[9]]  # after 1 and 10 steps
    for (f_loss, _, _, f_params), (x_loss, _, _, x_params) in zip(faithful, compiled):
        for expected, actual in zip([f_loss] + f_params, [x_loss] + x_params):  # norm-relative
            assert np.linalg.norm(actual - expected) <= 1e-5 * np.linalg.norm(expected)
    moved = [np.linalg.norm(after - before) for before, after in zip(faithful[0][3], faithful[1][3])]
    assert min(moved) > 0  # the comparison is not vacuous: every parameter changed


@needs_xla
@pytest.mark.parametrize("model", MODELS)
def test_fast_batched_evaluation_counts_like_the_per_example_loop(model):
    data = synthetic_datasets(n=500)
    accuracies = []
    for trainer_class in (engine.ExactTrainer, fast.FastTrainer):
        trainer = trainer_class(spec(model), data, CONFIG)
        try:  # the initial network: (its accuracy is not chance's) no chunk to compile
            accuracies.append([trainer.accuracy(data.test), trainer.accuracy(data.train, 450)])
        finally:
            trainer.close()
    assert accuracies[0] == accuracies[1]


@pytest.mark.parametrize("trainer_class", [FaithfulTrainer, engine.ExactTrainer,
                                           pytest.param(fast.FastTrainer, marks=needs_xla)])
def test_a_restored_state_continues_like_the_trainer_that_saved_it(trainer_class, tmp_path):
    data, prefix = synthetic_datasets(n=40), str(tmp_path / "state")
    trainer = trainer_class(spec("multi", hidden_sizes=(12, 6)), data, CONFIG)
    try:
        trainer.steps(30)  # into the second data epoch
        arrays = trainer.save_state(prefix)
        first = trainer.steps(30) + tuple(trainer.parameters())
        trainer.restore_state(prefix, arrays)
        for expected, actual in zip(first, trainer.steps(30) + tuple(trainer.parameters())):
            np.testing.assert_array_equal(expected, actual)
        order, parameters = trainer.order.state(), trainer.parameters()
        with pytest.raises(ValueError):  # a data order that does not fit changes nothing
            trainer.restore_state(prefix, dict(arrays, order=arrays["order"][:-1]))
        for expected, actual in zip(list(order.values()) + parameters,
                                    list(trainer.order.state().values()) + trainer.parameters()):
            np.testing.assert_array_equal(expected, actual)
    finally:
        trainer.close()


def test_the_fast_engine_refuses_negative_training_inputs_and_names_the_engine_that_takes_them():
    data = synthetic_datasets(n=50)
    data.train.images[3, 7] = -0.5
    with pytest.raises(ValueError, match="inputs >= 0 .*-0.5.*--engine exact"):
        fast.FastTrainer(spec("multi"), data, CONFIG)


def test_the_fast_engine_refuses_non_finite_training_inputs():
    data = synthetic_datasets(n=50)
    data.train.images[3, 7] = np.inf
    with pytest.raises(ValueError, match="finite training inputs.*--engine exact"):
        fast.FastTrainer(spec("multi"), data, CONFIG)


def test_chunked_indices_follow_the_order_of_single_batches():
    single, chunked = synthetic(n=400, seed=3), synthetic(n=400, seed=3)
    single, chunked = (DataSet(s.images, s.labels, seed=7) for s in (single, chunked))
    one_by_one = np.concatenate([single.next_indices(1) for _ in range(1100)])
    in_chunks = np.concatenate([chunked.next_indices(400), chunked.next_indices(399),
                                chunked.next_indices(301)])
    np.testing.assert_array_equal(one_by_one, in_chunks)


@pytest.mark.slow
def test_importing_the_trainers_changes_no_process_wide_setting():
    code = "import os, mtneuron.train.training; print(os.environ.get('XLA_FLAGS'))"
    env = {key: value for key, value in os.environ.items() if key != "XLA_FLAGS"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "None"


def test_only_tensorflow_1_updates_the_large_arrays_out_of_place():
    assert fast.out_of_place(6, "2.21.0") == [] and fast.out_of_place(6, "2.0.0") == []
    assert fast.out_of_place(6, "1.15.5") == [0, 2, 6, 8, 12, 14]  # W_01, W_12 and both their moments
