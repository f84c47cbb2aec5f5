"""Sweep backends: Ray tasks write the same records as worker processes; planning; failed runs."""

import json
import os
import pickle
import re
import subprocess
import sys
import time

import pytest

from mtneuron.blog_runs import RunSpec
from mtneuron.run import sweep
from mtneuron.run.records import RecordError
from tests.helpers import QUICK_ARGS, ROOT, UnpicklableError, fail_to_train, fake_record, run_script

NUMBERS = ("losses", "accuracies", "accuracy", "train_accuracy", "measurements", "steps", "threads")


def load_records(directory):
    records = {}
    for name in sorted(os.listdir(directory)):
        if name.endswith(".json"):
            with open(os.path.join(directory, name)) as stream:
                records[name] = json.load(stream)
    return records


@pytest.mark.slow
def test_ray_backend_writes_the_records_worker_processes_write(quick_results, tmp_path, mnist_dir):
    pytest.importorskip("ray", reason="Ray is not installed: pip install 'mtneuron[ray]'")
    out = str(tmp_path / "ray")
    result = run_script(QUICK_ARGS + ["--out", out, "--jobs", "2", "--backend", "ray"], mnist_dir)
    assert result.returncode == 0, result.stderr
    processes, ray = load_records(quick_results), load_records(out)
    assert sorted(ray) == sorted(processes) and len(ray) == 4
    for name, record in ray.items():
        assert record["backend"] == "ray" and processes[name]["backend"] == "processes"
        assert {key: record[key] for key in NUMBERS} == {key: processes[name][key] for key in NUMBERS}


def _children(pid):
    """Pids of the processes whose parent is ``pid`` (from /proc)."""
    children = []
    for entry in os.listdir("/proc"):
        try:
            with open(os.path.join("/proc", entry, "stat")) as stream:
                fields = stream.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[1] == str(pid):
            children.append(int(entry))
    return children


def _alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as stream:
            return stream.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux's /proc to find the workers")
def test_workers_end_when_their_sweep_is_killed(mnist_dir, tmp_path):
    args = QUICK_ARGS + ["--epochs", "50", "--jobs", "2", "--out", str(tmp_path / "killed")]
    sweep = subprocess.Popen([sys.executable, os.path.join(ROOT, "scripts", "reproduce_blog.py")] + args,
                             cwd=ROOT, env=dict(os.environ, MTNEURON_DATA=mnist_dir),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while len(_children(sweep.pid)) < 3 and time.time() < deadline:  # resource tracker + 2 workers
            time.sleep(0.2)
        workers = _children(sweep.pid)
        assert len(workers) >= 3, "the sweep did not start its workers"
        time.sleep(2)  # let the workers reach their runs
        sweep.kill()  # SIGKILL: the sweep cannot tell its workers
        sweep.wait()
        deadline = time.time() + 20
        while any(_alive(pid) for pid in workers) and time.time() < deadline:
            time.sleep(0.2)
        assert not [pid for pid in workers if _alive(pid)], "orphaned workers kept running"
    finally:
        for pid in _children(sweep.pid):
            os.kill(pid, 9)


@pytest.mark.slow
@pytest.mark.parametrize("backend, jobs", [("processes", 1), ("processes", 2), ("ray", 2)])
def test_a_failed_run_reaches_the_parent_as_one_line_naming_it(backend, jobs, mnist_dir, tmp_path):
    if backend == "ray":
        pytest.importorskip("ray", reason="Ray is not installed: pip install 'mtneuron[ray]'")
    specs = [RunSpec(model=model, learning_rate=0.001) for model in ("central", "multi")]
    with pytest.raises(sweep.RunError) as failed:
        sweep.run_sweep(specs, str(tmp_path / "out"), fail_to_train, data_dir=mnist_dir, jobs=jobs,
                        progress=False, backend=backend)
    message = str(failed.value)
    assert "\n" not in message and "details" not in message
    assert re.fullmatch(r"run_(central|multi)_0\.001 failed: UnpicklableError: Input 1 to node "
                        r"while/strided_slice must be a compile-time constant", message), message
    assert not [name for name in os.listdir(str(tmp_path / "out")) if name.endswith(".json")]


def test_run_error_is_one_picklable_line_from_any_error():
    spec = RunSpec(model="multi", learning_rate=0.01, seed=3)
    error = sweep.run_error(spec, UnpicklableError("\n  first line  \nsecond"))
    assert str(pickle.loads(pickle.dumps(error))) == (
        "run_multi_0.01_seed3 failed: UnpicklableError: first line")
    assert str(sweep.run_error(spec, ValueError())) == "run_multi_0.01_seed3 failed: ValueError: no message"


TF2_DISK_FULL = """Graph execution error:

Detected at node 'save/SaveV2' defined at (most recent call last):
    File "/src/mtneuron/sweep.py", line 197, in _train_one
    File "/src/mtneuron/engine.py", line 42, in __init__
Node: 'save/SaveV2'
/out/checkpoints/run_central_0.001/epoch-1.data-00000-of-00001.tempstate672; No space left on device
\t [[{{node save/SaveV2}}]]
Hint: If you want to see a list of allocated tensors when OOM happens, add report_tensor_allocations"""
TF1_DISK_FULL = """/out/checkpoints/run_central_0.001/epoch-1.data-00000-of-00001; No space left on device
\t [[node save/SaveV2 (defined at /src/mtneuron/engine.py:42) ]]

Original stack trace for 'save/SaveV2':
  File "/src/mtneuron/engine.py", line 42, in __init__"""


@pytest.mark.parametrize("message", [TF2_DISK_FULL, TF1_DISK_FULL])
def test_a_tensorflow_error_is_named_by_the_line_that_says_what_went_wrong(message):
    """Messages as TensorFlow 2.21 and 1.15 word a checkpoint written to a full disk (TF 2.21's captured
    on a 300 KiB tmpfs)."""
    spec = RunSpec(model="central", learning_rate=0.001)
    line = str(sweep.run_error(spec, UnpicklableError(message)))
    assert line.startswith("run_central_0.001 failed: UnpicklableError: /out/checkpoints/run_central_0.001/")
    assert line.endswith("; No space left on device")


def _write(path, payload):
    with open(path, "w") as stream:
        stream.write(payload if isinstance(payload, str) else json.dumps(payload))


def test_plan_skips_complete_runs_and_refuses_what_it_would_overwrite(tmp_path):
    record = fake_record("multi", 0.01, 21, 0.9)
    spec = RunSpec.from_dict(record["spec"])
    other = RunSpec(model="multi", learning_rate=0.01, engine="faithful")
    _write(str(tmp_path / spec.filename), record)
    assert sweep.plan([spec], str(tmp_path)) == ([], [record])
    with pytest.raises(RecordError, match=r"made with other settings \(engine fast -> faithful\).*--force"):
        sweep.plan([other], str(tmp_path))


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", json.dumps({"status": "running"})])
def test_plan_never_overwrites_an_unreadable_record_silently(tmp_path, content):
    spec = RunSpec(model="central", learning_rate=0.001)
    _write(str(tmp_path / spec.filename), content)
    with pytest.raises(RecordError, match="is not a complete run record: choose another --out or pass"):
        sweep.plan([spec], str(tmp_path))


def test_run_sweep_calls_the_trainer_with_one_signature_and_writes_records(mnist_dir, tmp_path):
    specs = [RunSpec(model=model, learning_rate=0.001, n_epochs=1) for model in ("central", "multi")]
    written = sweep.run_sweep(specs, str(tmp_path / "out"), record_context, data_dir=mnist_dir,
                              threads=3, progress=False, extra={"command": "test"})
    assert [record["model"] for record in written] == ["central", "multi"]
    for spec, record in zip(specs, written):
        with open(str(tmp_path / "out" / spec.filename)) as stream:
            assert json.load(stream) == record
        assert record["context"] == {"threads": 3, "progress": False, "position": 0,
                                     "tensorboard_dir": str(tmp_path / "out" / "tensorboard" / spec.name),
                                     "checkpoint_dir": str(tmp_path / "out" / "checkpoints" / spec.name),
                                     "weights_path": None}
        assert record["command"] == "test" and record["train_examples"] == 55000
    names = sorted([spec.filename for spec in specs] + ["tensorboard"])  # each run's HParams session
    assert sorted(os.listdir(str(tmp_path / "out"))) == names
    assert sorted(os.listdir(str(tmp_path / "out" / "tensorboard"))) == sorted(spec.name for spec in specs)


def record_context(spec, datasets, context):
    """A trainer that trains nothing: its record holds what it was called with."""
    import dataclasses

    return dict(fake_record(spec.model, spec.learning_rate, spec.seed, 0.5),
                context=dataclasses.asdict(context), train_examples=datasets.train.num_examples)


def _data_set_size(spec, datasets, context):
    """A trainer that records which data it was given."""
    return dict(fake_record("multi", 0.001, 1, 0.5), spec=spec.to_dict(),
                features=int(datasets.train.images.shape[1]))


def test_each_run_trains_on_its_specs_data_set(tmp_path, monkeypatch, mnist_dir):
    from mtneuron.train.minibatch import MinibatchSpec

    monkeypatch.setitem(sweep._worker, "datasets", {})
    specs = [MinibatchSpec(architecture="mlp", kind="multi", batch_size=8, dataset=name)
             for name in ("mnist", "mnist1d")]
    found = sweep.run_sweep(specs, str(tmp_path), _data_set_size, data_dir=mnist_dir, progress=False)
    assert [record["features"] for record in found] == [784, 40]
    assert set(sweep._worker["datasets"]) == {("mnist", mnist_dir), ("mnist1d", mnist_dir)}
