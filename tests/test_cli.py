"""The command lines: every class of bad option and path in one line with exit code 2, the skip line, and
two short commands end to end."""

import json
import os
import subprocess
import sys

import pytest

from mtneuron import xla
from mtneuron.cli import arguments, flow, measure
from mtneuron.cli import commands as cli
from tests.helpers import MTNEURON, ROOT, fake_record

needs_xla = pytest.mark.skipif(not xla.available(), reason="this TensorFlow build has no XLA")

COMMANDS = {"reproduce_blog": cli.reproduce_blog, "claims": cli.claims_study,
            "engine_equivalence": cli.engine_equivalence, "part2": cli.part2, "benchmark": measure.benchmark,
            "tf_agreement": measure.tf_agreement, "compare": cli.compare}


def exit_code(command, argv):
    """The exit code of ``command(argv)``, whether it returns it or argparse exits with it."""
    try:
        return command(argv)
    except SystemExit as stopped:
        return stopped.code


@pytest.fixture
def places(tmp_path):
    """A file, a path inside that file, a missing path and a directory, all under ``tmp_path``."""
    file = tmp_path / "file.md"
    file.write_text("mine\n")
    (tmp_path / "dir").mkdir()
    return {"FILE": str(file), "INSIDE": str(file / "sub"), "MISSING": str(tmp_path / "missing"),
            "DIR": str(tmp_path / "dir")}


BAD_OPTIONS = [
    ("reproduce_blog", ["--learning-rates", "inf"]), ("reproduce_blog", ["--learning-rates", "nan"]),
    ("reproduce_blog", ["--learning-rates", "0"]), ("reproduce_blog", ["--learning-rates", "fast"]),
    ("reproduce_blog", ["--models", "dendritic"]), ("reproduce_blog", ["--epochs", "0"]),
    ("reproduce_blog", ["--examples-per-epoch", "55001"]), ("reproduce_blog", ["--test-examples", "0"]),
    ("reproduce_blog", ["--test-examples", "10001"]), ("reproduce_blog", ["--average-every", "1000000"]),
    ("reproduce_blog", ["--hidden-sizes", "0"]), ("reproduce_blog", ["--seeds", "x"]),
    ("reproduce_blog", ["--jobs", "0"]), ("reproduce_blog", ["--threads", "-2"]),
    ("reproduce_blog", ["--engine", "magic"]), ("reproduce_blog", ["--backend", "slurm"]),
    ("reproduce_blog", ["--address", "auto"]), ("reproduce_blog", ["--no-such-option"]),
    ("reproduce_blog", ["--out", "FILE"]), ("reproduce_blog", ["--out", "INSIDE"]),
    ("reproduce_blog", ["--data-dir", "MISSING"]), ("reproduce_blog", ["--data-dir", "FILE"]),
    ("reproduce_blog", ["--reference", "MISSING"]),
    ("claims", ["--grid-rates", "inf"]), ("claims", ["--grid-seeds", "1-"]), ("claims", ["--report", "DIR"]),
    ("claims", ["--report", "INSIDE"]), ("claims", ["--out", "FILE"]),
    ("engine_equivalence", ["--accuracy-margin", "inf"]), ("engine_equivalence", ["--log-loss-margin", "0"]),
    ("engine_equivalence", ["--engines", "fast"]), ("engine_equivalence", ["--report", "DIR"]),
    ("part2", ["--batch-sizes", "0"]), ("part2", ["--learning-rate", "nan"]), ("part2", ["--seed", "-1"]),
    ("part2", ["--inits", "xavier"]), ("part2", ["--architectures", "rnn"]), ("part2", ["--out", "FILE"]),
    ("compare", ["--groups", "rnn"]), ("compare", ["--learning-rates", "inf"]),
    ("compare", ["--seeds", "3-1"]), ("compare", ["--extensions", "-1"]), ("compare", ["--extensions", "11"]),
    ("compare", ["--mlp-epochs", "0"]), ("compare", ["--batch-sizes", "0"]), ("compare", ["--out", "FILE"]),
    ("compare", ["--longer", "6"]),
    ("benchmark", ["--repeats", "0"]), ("benchmark", ["--layer-batches", "0"]),
    ("benchmark", ["--out", "DIR"]),
    ("benchmark", ["--engines", "slow"]), ("benchmark", ["--data-dir", "MISSING"]),
    ("tf_agreement", ["--python", "MISSING"]), ("tf_agreement", ["--python", "FILE", "--seed", "x"]),
    ("tf_agreement", ["--python", sys.executable, "--out", "DIR"]),
]


@pytest.mark.parametrize("command, option", BAD_OPTIONS)
def test_a_bad_option_or_path_is_one_line_with_exit_code_2_and_writes_nothing(command, option, places,
                                                                              tmp_path, capsys):
    argv = [places.get(word, word) for word in option]
    if "--out" not in option and command not in ("benchmark", "tf_agreement"):
        argv += ["--out", str(tmp_path / "out")]
    before = sorted(os.listdir(str(tmp_path)))
    assert exit_code(COMMANDS[command], argv) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "error:" in error, error
    assert sorted(os.listdir(str(tmp_path))) == before
    with open(places["FILE"]) as stream:
        assert stream.read() == "mine\n"


def test_an_unwritable_output_directory_is_refused(tmp_path, monkeypatch, capsys):
    locked = str(tmp_path / "locked")
    os.mkdir(locked)
    real_access = os.access
    monkeypatch.setattr(arguments.os, "access", lambda path, mode: path != locked and real_access(path, mode))
    commands = ((cli.reproduce_blog, "--out"), (measure.benchmark, "--out"), (cli.claims_study, "--report"))
    for command, option in commands:
        assert exit_code(command, [option, os.path.join(locked, "results")]) == 2
        error = capsys.readouterr().err
        assert error.count("\n") == 1 and "cannot write to %s (permission denied)" % locked in error


@pytest.mark.parametrize("command", ["reproduce_blog", "claims", "part2", "compare"])
def test_report_only_without_records_is_one_line_with_exit_code_2(command, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    for out in (tmp_path / "missing", tmp_path / "empty"):
        argv = ["--report-only", "--out", str(out)] + (["--report", str(tmp_path / "r.md")]
                                                      if command == "claims" else [])
        assert exit_code(COMMANDS[command], argv) == 2
        error = capsys.readouterr().err
        assert error.count("\n") == 1 and "run_*.json" in error or "no results directory" in error, error


def test_an_unreadable_record_in_the_output_directory_is_refused_not_overwritten(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "run_multi_0.01.json").write_text("{truncated")
    argv = ["--models", "multi", "--learning-rates", "0.01", "--out", str(out), "--no-progress"]
    assert exit_code(cli.reproduce_blog, argv) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "is not a complete run record" in error and "--force" in error
    assert (out / "run_multi_0.01.json").read_text() == "{truncated"


def test_missing_data_is_one_line_naming_the_file(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    argv = ["--data-dir", str(tmp_path / "empty"), "--out", str(tmp_path / "out")]
    assert exit_code(cli.reproduce_blog, argv) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "train-images-idx3-ubyte" in error


def test_missing_ray_is_a_one_line_install_hint(tiny_mnist, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # makes `import ray` fail
    out = str(tmp_path / "out")
    assert exit_code(cli.reproduce_blog, ["--backend", "ray", "--data-dir", tiny_mnist.directory,
                                          "--out", out]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and 'pip install "mtneuron[ray]"' in error
    assert not os.listdir(out)


def _complete_records(out, models=("central", "multi")):
    os.makedirs(out, exist_ok=True)
    for model in models:
        record = fake_record(model, 0.001, 21, 0.9, measure=False)
        with open(os.path.join(out, "run_%s_0.001.json" % model), "w") as stream:
            json.dump(record, stream)
    return ["--learning-rates", "0.001", "--engine", "fast", "--out", out]


def test_complete_runs_are_skipped_in_one_line_that_says_how_to_train_afresh(tmp_path, capsys):
    argv = _complete_records(str(tmp_path / "out"))
    assert exit_code(cli.reproduce_blog, argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == ("skipping 2 complete run(s) in %s (trained before with these settings): to train "
                        "afresh pass --force (overwrites them) or --out DIR (a new directory)" % argv[-1])
    assert lines[1].startswith("wrote ") and "summary.md" in lines[1]


def test_committed_runs_are_named_the_committed_reference_runs(tmp_path, capsys):
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(git + ["init", "-q", str(tmp_path)], check=True)
    argv = _complete_records(str(tmp_path / "results"))
    subprocess.run(git + ["add", "."], cwd=str(tmp_path), check=True)
    subprocess.run(git + ["commit", "-qm", "runs"], cwd=str(tmp_path), check=True)
    assert exit_code(cli.reproduce_blog, argv) == 0
    assert "(the committed reference runs): to train afresh pass --force" in capsys.readouterr().out


def test_the_committed_results_are_the_main_commands_eight_complete_runs():
    results = os.path.join(ROOT, "results")
    if not os.path.exists(os.path.join(results, "run_multi_0.01.json")):
        pytest.skip("no committed results in this checkout")
    options = cli.reproduce_blog_parser().parse_args(["--out", results])
    todo, done = flow.sweep.plan(flow.blog_specs(options, options.seeds, options.engine), results)
    assert todo == [] and len(done) == 8


def run(command, args, mnist_dir):
    env = dict(os.environ, MTNEURON_DATA=mnist_dir)
    return subprocess.run(MTNEURON + [command] + args, capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=900)


@pytest.mark.slow
@needs_xla
def test_short_horizon_engine_equivalence(tmp_path, mnist_dir):
    report = str(tmp_path / "equivalence.md")
    result = run("equivalence", [
        "--seeds", "1-5", "--learning-rates", "0.001", "--epochs", "1",
        "--examples-per-epoch", "50", "--test-examples", "500", "--collapsed-below", "0.05", "--no-progress",
        "--out", str(tmp_path / "runs"), "--report", report], mnist_dir)
    assert result.returncode == 0, result.stderr
    assert sorted(os.listdir(str(tmp_path / "runs" / "fast"))) == sorted(
        ["run_%s_0.001_seed%d.json" % (model, seed) for model in ("central", "multi") for seed in range(1, 6)]
        + ["tensorboard"])
    with open(report) as stream:
        text = stream.read()
    assert "paired t-test" in text and "Wilcoxon" in text and "TOST" in text
    # 50 steps (short of 0.5, so --collapsed-below keeps the cells): the engines still differ in the last
    # bits only, well inside the margins
    assert "**Overall verdict: equivalent**" in text or "**Overall verdict: indistinguishable**" in text
    assert "equivalent" in result.stdout or "indistinguishable" in result.stdout


@pytest.mark.slow
def test_benchmark_prints_ratios_and_layouts(tmp_path, mnist_dir):
    out = str(tmp_path / "benchmarks.md")
    result = run("benchmark", ["--engines", "faithful", "exact", "--models", "central",
                                  "--repeats", "1", "--parts", "engines", "--out", out], mnist_dir)
    assert result.returncode == 0, result.stderr
    with open(out) as stream:
        text = stream.read()
    assert text.strip() == result.stdout.strip()
    assert "| faithful | central |" in text and "1.00x" in text
    assert "%d runs x 1 thread" % (os.cpu_count() or 1) in text
    assert "`python -m mtneuron benchmark --engines faithful exact" in text


def test_benchmark_with_another_interpreter_puts_both_tensorflows_against_the_peer(tmp_path, monkeypatch):
    from mtneuron.studies.benchmarks import engines
    from tests.test_benchmark_engines import measurements

    calls = []

    def here(**settings):
        return measurements("2.21.0", 2.0)

    monkeypatch.setattr(engines, "engine_measurements", here)
    monkeypatch.setattr(measure.interpreter, "call_under", lambda python, function, **settings: calls.append(
        (python, function, settings)) or measurements("1.15.5", 1.0))
    monkeypatch.setattr(measure.data, "mnist_files", lambda data_dir: None)
    out = str(tmp_path / "benchmarks.md")
    argv = ["--parts", "engines", "--python", sys.executable, "--sweeps", str(tmp_path), "--out", out]
    with open(str(tmp_path / "run_multi_0.001.json"), "w") as stream:
        json.dump(dict(fake_record("multi", 0.001, 21, 0.9), tensorflow_version="2.21.0"), stream)
    assert exit_code(measure.benchmark, argv) == 0
    assert calls == [(sys.executable, here, {"engines": list(measure.blog.ENGINES),
                                                              "models": list(measure.blog.MODELS),
                                                              "data_dir": None, "repeats": 5})]
    with open(out) as stream:
        text = stream.read()
    assert text.index("## Against the blog's loop on TensorFlow 1.15") < text.index(
        "## Training engines on TensorFlow 1.15.5") < text.index("## Training engines on TensorFlow 2.21.0")
    assert "| %s | fast, TF 2.21.0 | 1 | 1 |" % tmp_path in text


def test_benchmark_measures_the_networks_under_both_interpreters(tmp_path, monkeypatch):
    from mtneuron.studies.benchmarks import networks as network_benchmark
    from tests.test_benchmark_networks import made_up

    calls = []
    monkeypatch.setattr(network_benchmark, "network_measurements", lambda **settings: made_up())
    monkeypatch.setattr(measure.interpreter, "call_under", lambda python, function, **settings: calls.append(
        settings) or made_up(version="1.15.5"))
    monkeypatch.setattr(measure.data, "mnist_files", lambda data_dir: None)
    out = str(tmp_path / "benchmarks.md")
    argv = ["--parts", "networks", "--network-batches", "128", "--python", sys.executable, "--out", out]
    assert exit_code(measure.benchmark, argv) == 0
    assert calls == [{"batches": [128], "data_dir": None}]
    with open(out) as stream:
        text = stream.read()
    assert text.index("## Minibatch networks on TensorFlow 1.15.5") < text.index(
        "## Minibatch networks on TensorFlow 2.21.0")


BLOCK_TENSORBOARD = '''import sys


class _Block:
    """As if TensorBoard were not installed (a TensorFlow build without it)."""

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "tensorboard":
            raise ModuleNotFoundError("No module named 'tensorboard'", name="tensorboard")
        return None


sys.meta_path.insert(0, _Block())
'''


@pytest.mark.slow
def test_without_tensorboard_a_sweep_trains_reports_and_says_so_once(tmp_path, mnist_dir):
    blocker = tmp_path / "site"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(BLOCK_TENSORBOARD)
    env = dict(os.environ, MTNEURON_DATA=mnist_dir, PYTHONPATH=str(blocker))
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "reproduce_blog.py"),
                             "--learning-rates", "0.001", "--models", "central", "multi", "--epochs", "1",
                             "--examples-per-epoch", "100", "--test-examples", "100", "--no-progress",
                             "--out", str(out)], capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr
    said = [line for line in result.stdout.splitlines() if "HParams" in line]
    assert said == ["wrote no TensorBoard HParams sessions: TensorBoard is not installed (pip install "
                    "tensorboard; then any command on %s, --report-only too, writes them)" % out]
    assert {"run_central_0.001.json", "run_multi_0.001.json", "summary.md"} <= set(os.listdir(str(out)))
    assert os.listdir(str(out / "tensorboard" / "run_multi_0.001"))  # the scalars need no TensorBoard


@pytest.mark.slow
def test_sigterm_ends_a_sweep_in_one_line_with_its_workers_and_no_leaked_semaphores(tmp_path, mnist_dir):
    import signal
    import time

    out = tmp_path / "out"
    command = [sys.executable, os.path.join(ROOT, "scripts", "reproduce_blog.py"),
               "--learning-rates", "0.001", "--models", "central", "multi", "--epochs", "1",
               "--examples-per-epoch", "55000", "--test-examples", "100", "--no-progress", "--jobs", "2",
               "--out", str(out)]
    sweep = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=dict(os.environ, MTNEURON_DATA=mnist_dir), start_new_session=True)
    started = time.time()
    while not os.path.isdir(str(out / "checkpoints")) and time.time() - started < 120:
        time.sleep(0.5)
    time.sleep(5)  # the workers are training
    workers = [int(pid) for pid in os.listdir("/proc") if pid.isdigit() and _parent(pid) == sweep.pid]
    sweep.send_signal(signal.SIGTERM)  # to the sweep alone, as timeout(1) sends it
    _, stderr = sweep.communicate(timeout=120)
    assert sweep.returncode == 128 + signal.SIGTERM
    said = [line for line in stderr.splitlines() if line.startswith("reproduce_blog.py:")]
    assert said == ["reproduce_blog.py: terminated: the runs that finished are saved; run the same command "
                    "again to resume (complete runs are skipped, unfinished ones go on from their last "
                    "epoch's checkpoint)"]
    assert "Traceback" not in stderr and "leaked" not in stderr, stderr
    time.sleep(2)
    assert workers and not [pid for pid in workers if os.path.exists("/proc/%d" % pid)]


def _parent(pid):
    """The parent process id of ``pid`` (from /proc), or None once it is gone."""
    try:
        with open("/proc/%s/stat" % pid) as stream:
            return int(stream.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None
