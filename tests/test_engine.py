"""In-graph engines against the faithful loop: exact is bit-identical, fast agrees within 1e-5."""

import numpy as np
import pytest

from mtneuron import engine
from mtneuron.data import DataSet
from mtneuron.records import RunSpec
from mtneuron.training import make_trainer, session_config, train
from tests.helpers import synthetic, synthetic_datasets

MODELS = ["multi", "central"]


def spec(model, engine_name, **settings):
    fields = dict(model=model, learning_rate=0.001, engine=engine_name, n_epochs=2, n_examples=550,
                  average_every=110, test_examples=30)
    fields.update(settings)
    return RunSpec(**fields)


def trajectory(run_spec, data, chunks):
    """Per chunk: (losses, accuracies, measures, parameters) after that many steps; then test accuracy."""
    trainer = make_trainer(run_spec, data, threads=1)
    try:
        states = [trainer.steps(count) + (trainer.parameters(),) for count in chunks]
        return states, trainer.accuracy(data.test), trainer.engine
    finally:
        trainer.close()


@pytest.mark.parametrize("model", MODELS)
def test_exact_engine_is_bit_identical_to_the_faithful_loop(model):
    data = synthetic_datasets(n=500)  # 1,150 steps cross two epoch boundaries
    faithful, faithful_test, _ = trajectory(spec(model, "faithful"), data, [1100, 50])
    exact, exact_test, name = trajectory(spec(model, "exact"), data, [1100, 50])
    assert name == "exact"
    for (*f_curves, f_params), (*e_curves, e_params) in zip(faithful, exact):
        for f_values, e_values in zip(f_curves, e_curves):  # losses, accuracies, measures
            np.testing.assert_array_equal(f_values, e_values)
        for f_param, e_param in zip(f_params, e_params):
            np.testing.assert_array_equal(f_param, e_param)
    assert faithful_test == exact_test


@pytest.mark.parametrize("model", MODELS)
def test_exact_engine_records_the_same_curves(model):
    data = synthetic_datasets(n=500)
    faithful = train(spec(model, "faithful"), data, threads=1, progress=False)
    exact = train(spec(model, "exact"), data, threads=1, progress=False)
    assert exact["engine"] == "exact" and len(exact["losses"]) == 10
    for key in ("losses", "accuracies", "accuracy", "steps", "measurements", "train_accuracy"):
        assert faithful[key] == exact[key]


@pytest.mark.skipif(not engine.xla_available(), reason="this TensorFlow build has no XLA")
@pytest.mark.parametrize("model", MODELS)
def test_fast_engine_agrees_with_the_faithful_loop_after_1_and_10_steps(model):
    data = synthetic_datasets(n=500)
    faithful, _, _ = trajectory(spec(model, "faithful"), data, [1, 9])
    fast, _, name = trajectory(spec(model, "fast"), data, [1, 9])
    assert name == "fast"
    for (f_loss, _, _, f_params), (x_loss, _, _, x_params) in zip(faithful, fast):
        for expected, actual in zip([f_loss] + f_params, [x_loss] + x_params):  # norm-relative
            assert np.linalg.norm(actual - expected) <= 1e-5 * np.linalg.norm(expected)
    moved = [np.linalg.norm(after - before) for before, after in zip(faithful[0][3], faithful[1][3])]
    assert min(moved) > 0  # the comparison is not vacuous: every parameter changed


@pytest.mark.skipif(not engine.xla_available(), reason="this TensorFlow build has no XLA")
def test_fast_engine_record_and_in_graph_test_accuracy():
    record = train(spec("multi", "fast"), synthetic_datasets(n=500), threads=1, progress=False)
    assert record["engine"] == "fast" and record["steps"] == 1100 and len(record["losses"]) == 10
    assert 0.0 <= record["accuracy"] <= 1.0


def test_fast_falls_back_to_exact_without_xla(monkeypatch, capsys):
    monkeypatch.setattr(engine, "xla_available", lambda config=None: False)
    trainer = make_trainer(spec("central", "fast"), synthetic_datasets(), threads=1)
    trainer.close()
    assert trainer.engine == "exact"
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "falls back to exact" in error


@pytest.mark.parametrize("engine_name", ["exact", "fast"])
def test_in_graph_divergence_is_recorded_not_raised(engine_name):
    record = train(spec("multi", engine_name), synthetic_datasets(poison=True), threads=1, progress=False)
    assert record["diverged"] and record["steps"] == 1 and len(record["losses"]) == 1


def test_chunked_indices_follow_the_order_of_single_batches():
    single, chunked = synthetic(n=400, seed=3), synthetic(n=400, seed=3)
    single, chunked = (DataSet(s.images, s.labels, seed=7) for s in (single, chunked))
    one_by_one = np.concatenate([single.next_indices(1) for _ in range(1100)])
    in_chunks = np.concatenate([chunked.next_indices(400), chunked.next_indices(399),
                                chunked.next_indices(301)])
    np.testing.assert_array_equal(one_by_one, in_chunks)


def test_active_inputs_list_the_nonzero_pixels_first_then_zero_pixels():
    images = np.zeros((4, 784), np.float32)
    images[0, [5, 700, 9]] = [0.5, np.inf, 1.0]
    images[1, :] = 0.25  # every pixel active: the widest row decides the width
    images[3, 783] = 1.0  # row 2 stays all zeros
    active = engine.active_inputs(images, block=3)
    assert active.shape == (4, 784) and active.dtype == np.int32
    assert list(active[0, :3]) == [5, 9, 700] and not images[0, active[0, 3:]].any()
    np.testing.assert_array_equal(active[1], np.arange(784))
    assert not images[2, active[2]].any()
    assert active[3, 0] == 783 and not images[3, active[3, 1:]].any()
    narrow = engine.active_inputs(images[[0, 2]])
    assert narrow.shape == (2, 3) and list(narrow[0]) == [5, 9, 700]


def test_wide_vectors_only_where_xla_knows_the_flag_and_never_over_the_users():
    environ = {}
    engine.prefer_wide_vectors(environ, "2.21.0")
    assert environ["XLA_FLAGS"] == engine.WIDE_VECTORS
    environ = {"XLA_FLAGS": "--xla_dump_to=/tmp/x"}
    engine.prefer_wide_vectors(environ, "2.18.1")
    assert environ["XLA_FLAGS"] == "--xla_dump_to=/tmp/x " + engine.WIDE_VECTORS
    for environ, version in (({}, "1.15.5"), ({}, "2.17.0"),
                             ({"XLA_FLAGS": "--xla_cpu_prefer_vector_width=256"}, "2.21.0")):
        before = dict(environ)
        engine.prefer_wide_vectors(environ, version)
        assert environ == before


@pytest.mark.skipif(not engine.xla_available(), reason="this TensorFlow build has no XLA")
@pytest.mark.parametrize("model", MODELS)
def test_fast_batched_evaluation_counts_like_the_per_example_loop(model):
    data = synthetic_datasets(n=500)
    accuracies = []
    for engine_name in ("exact", "fast"):
        trainer = make_trainer(spec(model, engine_name), data, threads=1)
        try:
            trainer.steps(50)  # the same 50 updates (fast agrees to ~1e-7), then evaluate
            accuracies.append([trainer.accuracy(data.test), trainer.accuracy(data.train, 450)])
        finally:
            trainer.close()
    assert accuracies[0] == accuracies[1]


def test_the_xla_probe_sizes_tensorflow_thread_pools_like_the_trainer(monkeypatch):
    """The first session of a process fixes TensorFlow's global pools: the probe must not make them
    larger than the trainer's, or an idle pool worker spins on the core a parallel run needs."""
    configs = []
    session = engine.tf.Session

    def recording_session(*args, **kwargs):
        configs.append(kwargs.get("config"))
        return session(*args, **kwargs)

    monkeypatch.setattr(engine, "_XLA_AVAILABLE", [])
    monkeypatch.setattr(engine.tf, "Session", recording_session)
    config = session_config(1)
    available = engine.xla_available(config)
    assert configs == [config] and engine.xla_available(None) == available and len(configs) == 1


def test_only_tensorflow_1_updates_the_large_arrays_out_of_place():
    assert engine.out_of_place(6, "2.21.0") == [] and engine.out_of_place(6, "2.0.0") == []
    assert engine.out_of_place(6, "1.15.5") == [0, 2, 6, 8, 12, 14]  # W_01, W_12 and both their moments
