"""Sweep backends: Ray tasks write the same records as worker processes; option and install errors."""

import json
import os
import pickle
import re
import subprocess
import sys
import time

import pytest

from mtneuron import cli, sweep
from tests.helpers import QUICK_ARGS, ROOT, FailingSpec, UnpicklableError, run_script

NUMBERS = ("losses", "accuracies", "accuracy", "train_accuracy", "measurements", "steps", "threads")


def load_records(directory):
    records = {}
    for name in sorted(os.listdir(directory)):
        if name.endswith(".json"):
            with open(os.path.join(directory, name)) as stream:
                records[name] = json.load(stream)
    return records


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


def test_address_without_the_ray_backend_is_a_one_line_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        cli.reproduce_blog(["--address", "auto", "--out", str(tmp_path)])
    assert stopped.value.code == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "--address needs --backend ray" in error
    assert not os.listdir(str(tmp_path))


def test_missing_ray_is_a_one_line_install_hint(tiny_mnist, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # makes `import ray` fail
    out = str(tmp_path / "out")
    code = cli.reproduce_blog(["--backend", "ray", "--data-dir", tiny_mnist.directory, "--out", out])
    assert code == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and 'pip install "mtneuron[ray]"' in error
    assert not os.listdir(out)


def test_sweep_and_cli_import_neither_ray_nor_tensorflow():
    code = ("import sys\nfrom mtneuron import cli, sweep\n"
            "print(sorted(name for name in ('ray', 'tensorflow') if name in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


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


@pytest.mark.parametrize("backend, jobs", [("processes", 1), ("processes", 2), ("ray", 2)])
def test_a_failed_run_reaches_the_parent_as_one_line_naming_it(backend, jobs, mnist_dir, tmp_path):
    if backend == "ray":
        pytest.importorskip("ray", reason="Ray is not installed: pip install 'mtneuron[ray]'")
    specs = [FailingSpec(model=model, learning_rate=0.001) for model in ("central", "multi")]
    with pytest.raises(sweep.RunError) as failed:
        sweep.run_sweep(specs, str(tmp_path / "out"), data_dir=mnist_dir, jobs=jobs,
                        progress=False, backend=backend)
    message = str(failed.value)
    assert "\n" not in message and "details" not in message
    assert re.fullmatch(r"run_(central|multi)_0\.001 failed: UnpicklableError: Input 1 to node "
                        r"while/strided_slice must be a compile-time constant", message), message
    assert not [name for name in os.listdir(str(tmp_path / "out")) if name.endswith(".json")]


def test_run_error_is_one_picklable_line_from_any_error():
    spec = FailingSpec(model="multi", learning_rate=0.01, seed=3)
    error = sweep.run_error(spec, UnpicklableError("\n  first line  \nsecond"))
    assert str(pickle.loads(pickle.dumps(error))) == (
        "run_multi_0.01_seed3 failed: UnpicklableError: first line")
    assert str(sweep.run_error(spec, ValueError())) == "run_multi_0.01_seed3 failed: ValueError: no message"
