"""Per-epoch checkpoints: an interrupted or killed run resumes to the numbers of an uninterrupted one."""

import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from mtneuron import xla
from mtneuron.blog_runs import RunSpec
from mtneuron.data import DataSet
from mtneuron.run.records import RunContext
from mtneuron.tf1 import release, tf
from mtneuron.train import checkpoints
from mtneuron.train.training import train
from tests.helpers import ROOT, SCRIPT, run_script, synthetic, synthetic_datasets

NUMBERS = ("losses", "accuracies", "measurements", "accuracy", "train_accuracy", "steps", "diverged")
ENGINES = ["faithful", "exact", pytest.param("fast", marks=[pytest.mark.slow, pytest.mark.skipif(
    not xla.available(), reason="this TensorFlow build has no XLA"), pytest.mark.skipif(
    release() < (2, 0), reason="TF 1.15's XLA takes ~30 s to compile each run's loop (95 s for this "
                               "test); on this leg test_engine restores the fast engine's saved state, and "
                               "resuming is the same code for every engine")])]


def spec(engine_name="faithful", **settings):
    fields = dict(model="multi", learning_rate=0.001, engine=engine_name, n_epochs=3, n_examples=220,
                  average_every=110, test_examples=30, hidden_sizes=(24, 12))
    fields.update(settings)
    return RunSpec(**fields)


def run(run_spec, checkpoint_dir=None, **options):
    """Train ``run_spec`` on 200 synthetic examples (so data epochs and run epochs differ)."""
    context = RunContext(threads=1, progress=False, checkpoint_dir=checkpoint_dir, **options)
    return train(run_spec, synthetic_datasets(n=200), context)


class Interrupted(Exception):
    """Stands for a kill right after the first checkpoint is saved."""


def interrupt(run_spec, checkpoint_dir, monkeypatch):
    """Train ``run_spec`` until its first checkpoint (after epoch 1) is saved, then stop it."""
    save = checkpoints.Checkpoints.save

    def save_and_stop(self, *args):
        save(self, *args)
        raise Interrupted

    with monkeypatch.context() as patch:
        patch.setattr(checkpoints.Checkpoints, "save", save_and_stop)
        with pytest.raises(Interrupted):
            run(run_spec, checkpoint_dir)


def numbers(record):
    return {key: record[key] for key in NUMBERS}


def saved_state(directory):
    """Every variable and data-order array of the checkpoint in ``directory``, and its state file."""
    with open(os.path.join(directory, checkpoints.STATE)) as stream:
        state = json.load(stream)
    prefix = os.path.join(directory, state["name"])
    reader = tf.train.NewCheckpointReader(prefix)
    arrays = {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()}
    with np.load(prefix + ".npz") as stored:
        arrays.update((key, stored[key]) for key in stored.files)
    return arrays, state


def assert_same_checkpoints(directory, expected_directory):
    arrays, state = saved_state(directory)
    expected_arrays, expected_state = saved_state(expected_directory)
    assert sorted(arrays) == sorted(expected_arrays)
    for name, values in expected_arrays.items():
        np.testing.assert_array_equal(arrays[name], values, err_msg=name)
    for key in ("spec", "name", "steps", "losses", "accuracies", "measurements"):
        assert state[key] == expected_state[key]


@pytest.mark.parametrize("engine_name", ENGINES)
def test_a_run_resumed_after_epoch_1_ends_exactly_like_an_uninterrupted_one(engine_name, tmp_path,
                                                                           monkeypatch, capsys):
    run_spec, whole_dir, resumed_dir = spec(engine_name), str(tmp_path / "whole"), str(tmp_path / "resumed")
    whole = run(run_spec, whole_dir)
    interrupt(run_spec, resumed_dir, monkeypatch)
    assert saved_state(resumed_dir)[1]["name"] == "epoch-1"
    capsys.readouterr()
    resumed = run(run_spec, resumed_dir)
    error = capsys.readouterr().err
    assert error == "mtneuron: run_multi_0.001 resumes from its checkpoint after 1 of 3 epochs\n"
    assert numbers(resumed) == numbers(whole) and len(whole["losses"]) == 6
    assert_same_checkpoints(resumed_dir, whole_dir)  # parameters, Adam's state, data order
    assert sorted(os.listdir(whole_dir)) == sorted(os.listdir(resumed_dir))


def test_a_run_stopped_while_saving_epoch_2_resumes_from_epoch_1(after_epoch_1, tmp_path, monkeypatch):
    run_spec, directory = spec(), str(tmp_path / "checkpoint")
    calls, write_text = [], checkpoints.write_text

    def write_once(path, text):  # the second save dies just before its switch to epoch 2
        calls.append(path)
        if len(calls) == 2:
            raise Interrupted
        write_text(path, text)

    with monkeypatch.context() as patch:
        patch.setattr(checkpoints, "write_text", write_once)
        with pytest.raises(Interrupted):
            run(run_spec, directory)
    assert saved_state(directory)[1]["name"] == "epoch-1" and glob.glob(os.path.join(directory, "epoch-2.*"))
    assert numbers(run(run_spec, directory)) == after_epoch_1[1]
    assert sorted(os.listdir(directory)) == ["epoch-3.data-00000-of-00001", "epoch-3.index", "epoch-3.npz",
                                             checkpoints.STATE]


def test_a_window_open_at_the_end_of_an_epoch_is_resumed_and_its_scalars_rewritten(tmp_path, monkeypatch):
    run_spec = spec(model="central", average_every=150)  # epoch 1 ends 70 steps into the second window
    whole = run(run_spec, tensorboard_dir=str(tmp_path / "tb_whole"))
    interrupt(run_spec, str(tmp_path / "resumed"), monkeypatch)
    assert len(saved_state(str(tmp_path / "resumed"))[0]["window_losses"]) == 70
    resumed = run(run_spec, str(tmp_path / "resumed"), tensorboard_dir=str(tmp_path / "tb_resumed"))
    assert numbers(resumed) == numbers(whole) and len(whole["losses"]) == 4
    assert scalars(str(tmp_path / "tb_resumed")) == scalars(str(tmp_path / "tb_whole"))


def scalars(directory):
    """``{tag: [(step, value), ...]}`` of the TensorBoard events in ``directory``."""
    tags = {}
    for name in os.listdir(directory):
        for event in tf.train.summary_iterator(os.path.join(directory, name)):
            for value in event.summary.value:
                tags.setdefault(value.tag, []).append((event.step, value.simple_value))
    return tags


def truncate(path):
    with open(path, "r+b") as stream:
        stream.truncate(os.path.getsize(path) // 2)


def other_settings(directory):
    path = os.path.join(directory, checkpoints.STATE)
    with open(path) as stream:
        state = json.load(stream)
    state["spec"]["learning_rate"] = 0.01
    with open(path, "w") as stream:
        json.dump(state, stream)


CORRUPTIONS = {
    "state file pointing to missing files": lambda directory: [
        os.remove(path) for path in glob.glob(os.path.join(directory, "epoch-1.*"))],
    "truncated state file": lambda directory: truncate(os.path.join(directory, checkpoints.STATE)),
    "truncated npz": lambda directory: truncate(os.path.join(directory, "epoch-1.npz")),
    "truncated variables": lambda directory: truncate(os.path.join(directory, "epoch-1.data-00000-of-00001")),
    "truncated variable index": lambda directory: truncate(os.path.join(directory, "epoch-1.index")),
    "another spec's checkpoint": other_settings,
}


@pytest.fixture(scope="module")
def after_epoch_1(tmp_path_factory):
    """``(checkpoint directory after epoch 1, numbers of the uninterrupted run)`` of ``spec()``."""
    directory = str(tmp_path_factory.mktemp("after_epoch_1") / "checkpoint")
    with pytest.MonkeyPatch.context() as monkeypatch:
        interrupt(spec(), directory, monkeypatch)
    return directory, numbers(run(spec()))


@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
def test_an_unusable_checkpoint_is_ignored_with_one_line_and_the_run_starts_over(corruption, after_epoch_1,
                                                                                tmp_path, capsys):
    directory = str(tmp_path / "checkpoint")
    shutil.copytree(after_epoch_1[0], directory)
    CORRUPTIONS[corruption](directory)
    capsys.readouterr()
    record = run(spec(), directory)
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith("mtneuron: ignoring the checkpoint in " + directory)
    assert numbers(record) == after_epoch_1[1]
    assert saved_state(directory)[1]["name"] == "epoch-3"  # a fresh, complete checkpoint replaced it


def test_the_data_order_resumes_exactly_and_a_state_that_does_not_fit_changes_nothing():
    examples = synthetic(n=50)
    original = DataSet(examples.images, examples.labels, seed=5)
    copy = DataSet(examples.images, examples.labels)
    original.next_indices(30)
    original.next_indices(37)  # into the second epoch
    copy.set_state(original.state())
    for _ in range(3):
        np.testing.assert_array_equal(copy.next_indices(40), original.next_indices(40))
    smaller = DataSet(examples.images[:40], examples.labels[:40], seed=5)
    before = smaller.state()
    with pytest.raises(ValueError):
        smaller.set_state(original.state())
    for key, values in smaller.state().items():
        np.testing.assert_array_equal(values, before[key])


@pytest.mark.slow
def test_a_sweep_killed_mid_run_resumes_to_the_records_of_an_uninterrupted_sweep(mnist_dir, tmp_path):
    args = ["--models", "central", "multi", "--learning-rates", "0.001", "--engine", "faithful",
            "--epochs", "4", "--examples-per-epoch", "550", "--average-every", "110",
            "--test-examples", "100", "--jobs", "1", "--no-progress"]
    reference, out = str(tmp_path / "reference"), str(tmp_path / "killed")
    assert run_script(args + ["--out", reference], mnist_dir).returncode == 0
    sweep = subprocess.Popen([sys.executable, SCRIPT] + args + ["--out", out], cwd=ROOT,
                             env=dict(os.environ, MTNEURON_DATA=mnist_dir), start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:  # runs go one after the other: kill the sweep once the second one has finished an epoch
        deadline = time.time() + 300
        while not os.path.exists(os.path.join(out, "checkpoints", "run_multi_0.001", checkpoints.STATE)):
            assert sweep.poll() is None, "the sweep ended before its second run's first checkpoint"
            assert time.time() < deadline, "no checkpoint of the second run within 5 minutes"
            time.sleep(0.01)
        os.killpg(sweep.pid, signal.SIGKILL)  # the sweep and any process it started
    finally:
        sweep.kill()  # when the test failed before
        sweep.wait()
    assert os.path.exists(os.path.join(out, "run_central_0.001.json"))
    assert not os.path.exists(os.path.join(out, "run_multi_0.001.json"))
    again = run_script(args + ["--out", out], mnist_dir)
    assert again.returncode == 0, again.stderr
    assert "skipping 1 complete run(s)" in again.stdout and "training 1 run(s)" in again.stdout
    assert "run_multi_0.001 resumes from its checkpoint after" in again.stderr
    for name in ("run_multi_0.001.json", "run_central_0.001.json"):
        with open(os.path.join(out, name)) as stream, open(os.path.join(reference, name)) as expected:
            assert numbers(json.load(stream)) == numbers(json.load(expected))
    assert not os.path.exists(os.path.join(out, "checkpoints"))  # removed once no run is unfinished
