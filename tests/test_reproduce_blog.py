"""scripts/reproduce_blog.py end to end on a quick configuration: records, figures, summary, resume."""

import json
import os
import shutil
import struct
import subprocess
import sys

import pytest

from mtneuron import xla
from mtneuron.run import hparams
from tests.helpers import QUICK_ARGS, ROOT, SCRIPT, run_script

BLOCK_TENSORFLOW = (
    "import sys\n"
    "class Block:\n"
    "    def find_spec(self, name, path=None, target=None):\n"
    "        if name == 'tensorflow' or name.startswith('tensorflow.'):\n"
    "            raise ImportError('No module named ' + repr(name))\n"
    "sys.meta_path.insert(0, Block())\n"
)


def png_size(path):
    with open(path, "rb") as stream:
        header = stream.read(24)
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", header[16:24])


@pytest.mark.slow
def test_quick_sweep_writes_records_figures_and_summary(quick_results):
    names = sorted(name for name in os.listdir(quick_results) if name.endswith(".json"))
    assert names == ["run_central_0.001.json", "run_central_0.01.json",
                     "run_multi_0.001.json", "run_multi_0.01.json"]
    for name in names:
        with open(os.path.join(quick_results, name)) as stream:
            record = json.load(stream)
        assert record["n_examples"] == 220 and record["n_epochs"] == 2
        assert len(record["losses"]) == len(record["accuracies"]) == 2 * 220 // 4
        assert 0 <= record["accuracy"] <= 1 and record["spec"]["engine"] == "fast"
        assert record["engine"] == ("fast" if xla.available() else "exact")
        assert record["command"].startswith("python scripts/reproduce_blog.py")
        assert os.listdir(os.path.join(quick_results, "tensorboard", name[:-5]))
        assert os.path.exists(os.path.join(quick_results, name[:-5] + ".npz"))  # the trained network, kept
    assert png_size(os.path.join(quick_results, "accuracy_and_loss_curves.png")) == (800, 700)
    assert png_size(os.path.join(quick_results, "accuracy_vs_rate_and_type.png")) == (800, 500)
    with open(os.path.join(quick_results, "summary.md")) as stream:
        summary = stream.read()
    assert "| 0.001 | Central-threshold | 0.8958 |" in summary
    assert "| 0.01 | Multi-threshold | 0.7730 |" in summary
    assert "Not the blog's configuration" in summary and "sweep wall time" in summary
    assert "- engine: %s" % record["engine"] in summary


@pytest.mark.slow
def test_report_compares_with_a_reference_directory(quick_results, tmp_path):
    out = str(tmp_path / "copy")
    shutil.copytree(quick_results, out)
    result = run_script(["--report-only", "--out", out, "--reference", quick_results], None)
    assert result.returncode == 0, result.stderr
    with open(os.path.join(out, "summary.md")) as stream:
        summary = stream.read()
    assert "## Against the runs in `%s`" % quick_results in summary
    section = summary.split("## Against the runs in")[1].split("\n- ")[0]
    accuracies = [row.split(" | ")[4] for row in section.splitlines() if row.startswith("| 0.0")]
    assert len(accuracies) == 4 and all(len(set(cell.split(" / "))) == 1 for cell in accuracies)  # same runs


@pytest.mark.slow
def test_rerun_skips_complete_runs_and_redoes_missing_ones(quick_results, tmp_path, mnist_dir):
    out = str(tmp_path / "copy")
    shutil.copytree(quick_results, out)
    kept = os.path.join(out, "run_multi_0.01.json")
    before = os.stat(kept).st_mtime_ns
    os.remove(os.path.join(out, "run_central_0.001.json"))
    result = run_script(QUICK_ARGS + ["--out", out, "--jobs", "1"], mnist_dir)
    assert result.returncode == 0, result.stderr
    assert "skipping 3 complete run(s)" in result.stdout and "training 1 run(s)" in result.stdout
    assert os.path.exists(os.path.join(out, "run_central_0.001.json"))
    assert os.stat(kept).st_mtime_ns == before
    again = run_script(QUICK_ARGS + ["--out", out], mnist_dir)
    assert "skipping 4 complete run(s)" in again.stdout and "training" not in again.stdout


@pytest.mark.slow
def test_records_from_other_settings_are_refused_unless_forced(quick_results, tmp_path, mnist_dir):
    out = str(tmp_path / "copy")
    shutil.copytree(quick_results, out)
    args = QUICK_ARGS + ["--out", out, "--test-examples", "50", "--models", "multi",
                         "--learning-rates", "0.01"]
    refused = run_script(args, mnist_dir)
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1 and "--force" in refused.stderr
    forced = run_script(args + ["--force"], mnist_dir)
    assert forced.returncode == 0, forced.stderr
    with open(os.path.join(out, "run_multi_0.01.json")) as stream:
        assert json.load(stream)["test_examples"] == 50


@pytest.mark.slow
def test_help_lists_every_option():
    result = run_script(["--help"], None)
    assert result.returncode == 0
    for option in ("--learning-rates", "--models", "--epochs", "--examples-per-epoch", "--seeds",
                   "--data-dir", "--out", "--jobs", "--engine", "--force", "--report-only"):
        assert option in result.stdout


@pytest.mark.slow
def test_help_and_records_work_without_tensorflow_and_layers_say_how_to_install():
    code = BLOCK_TENSORFLOW + (
        "sys.argv = ['reproduce_blog.py', '--help']\n"
        "from mtneuron.cli import commands as cli\n"
        "from mtneuron.run import records\n"
        "from mtneuron.studies.reproduction import report\n"
        "try:\n"
        "    cli.reproduce_blog(['--help'])\n"
        "except SystemExit as done:\n"
        "    assert done.code == 0\n"
        "try:\n"
        "    import mtneuron.layers\n"
        "except ImportError as error:\n"
        "    print('ERROR:', error)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "--learning-rates" in result.stdout
    error = result.stdout.split("ERROR: ")[1]
    assert error.count("\n") == 1 and "pip install 'mtneuron[cpu]'" in error


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("mtneuron-reproduce-blog") is None, reason="package not installed")
def test_console_command_is_installed():
    result = subprocess.run(["mtneuron-reproduce-blog", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "--learning-rates" in result.stdout


def test_script_is_thin():
    """The script holds nothing but the call and the one line that says how to install the package."""
    with open(SCRIPT) as stream:
        code = [line for line in stream if line.strip() and not line.startswith(('"""', "#"))]
    assert len(code) <= 8 and code[-1].strip() == "sys.exit(reproduce_blog())"


@pytest.mark.slow
def test_reference_defaults_to_a_faithful_subdirectory_and_a_missing_one_is_an_error(quick_results, tmp_path):
    out = str(tmp_path / "copy")
    shutil.copytree(quick_results, out)
    shutil.copytree(quick_results, os.path.join(out, "faithful"))
    assert run_script(["--report-only", "--out", out], None).returncode == 0
    with open(os.path.join(out, "summary.md")) as stream:
        assert "## Against the runs in `%s`\n" % os.path.join(out, "faithful") in stream.read()
    shutil.copytree(quick_results, os.path.join(out, "tf1.15", "faithful"))
    assert run_script(["--report-only", "--out", out], None).returncode == 0
    with open(os.path.join(out, "summary.md")) as stream:
        assert "## Against the runs in `%s`, `%s`\n" % (
            os.path.join(out, "tf1.15", "faithful"), os.path.join(out, "faithful")) in stream.read()
    missing = run_script(["--report-only", "--out", out, "--reference", str(tmp_path / "none")], None)
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1


@pytest.mark.slow
def test_report_only_gives_runs_made_before_hparams_sessions_theirs(quick_results, tmp_path):
    from mtneuron.tf1 import tf

    out = str(tmp_path / "copy")
    shutil.copytree(quick_results, out)
    shutil.rmtree(os.path.join(out, "tensorboard"))
    names = [name[:-len(".json")] for name in os.listdir(out) if name.startswith("run_")
             and name.endswith(".json")]
    for name in names:  # as an earlier version left them: scalars, no session
        writer = tf.summary.FileWriter(hparams.run_directory(out, name), graph=None)
        writer.add_summary(tf.Summary(value=[tf.Summary.Value(tag="loss", simple_value=1.0)]), 0)
        writer.close()
    code = BLOCK_TENSORFLOW + "from mtneuron.cli.main import main\nsys.exit(main(['reproduce', " \
                              "'--report-only', '--out', %r]))\n" % out
    without = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert without.returncode == 0, without.stderr  # the report needs no TensorFlow; the sessions wait
    assert "HParams sessions not checked (mtneuron needs TensorFlow: pip install" in without.stdout
    assert not any(hparams.has_session(hparams.run_directory(out, name)) for name in names)
    result = run_script(["--report-only", "--out", out], None)
    assert result.returncode == 0, result.stderr
    assert "wrote the HParams sessions of %d earlier run(s)" % len(names) in result.stdout
    assert all(hparams.has_session(hparams.run_directory(out, name)) for name in names)
    assert "HParams" not in run_script(["--report-only", "--out", out], None).stdout
