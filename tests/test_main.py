"""``mtneuron <command>``: the one command line, ``python -m mtneuron``, ``--version``, the thin script."""

import os
import subprocess
import sys

import pytest

from mtneuron import __version__
from mtneuron.cli import flow, main
from tests.helpers import MTNEURON, ROOT


def test_without_a_command_the_usage_lists_every_command_and_exits_2(capsys):
    assert main.main([]) == 2
    text = capsys.readouterr().out
    assert text.startswith("usage: mtneuron [--version] <command> [options]")
    assert all("\n  %s " % name in text for name in main.COMMANDS)
    assert main.main(["--help"]) == 0


def test_version_and_an_unknown_command(capsys):
    assert main.main(["--version"]) == 0 and capsys.readouterr().out == "mtneuron %s\n" % __version__
    assert main.main(["reproduce-blog"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("mtneuron: error: no command 'reproduce-blog': choose from reproduce, claims,")
    assert error.count("\n") == 1


@pytest.mark.parametrize("name", sorted(main.COMMANDS))
def test_each_command_has_help_under_its_real_name_with_each_default_once(name, capsys):
    assert main.main([name, "--help"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("usage: mtneuron %s " % name)
    assert "(default: None)" not in text and "] (default:" not in text


def test_a_bad_option_is_one_line_under_the_command_name(capsys):
    assert main.main(["reproduce", "--epochs", "0"], prog="python -m mtneuron") == 2
    assert capsys.readouterr().err == ("python -m mtneuron reproduce: error: argument --epochs: 0 must be a "
                                       "finite number > 0 (see --help)\n")


def test_records_say_the_command_line_that_was_run():
    assert flow._command("mtneuron compare", ["--seeds", "1-5"]) == "mtneuron compare --seeds 1-5"
    script = flow._command("reproduce_blog.py", ["--out", "a b"])
    assert script == "python scripts/reproduce_blog.py --out 'a b'"


@pytest.mark.slow
def test_python_m_mtneuron_runs_the_same_command_line():
    result = subprocess.run(MTNEURON + ["--version"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0 and result.stdout == "mtneuron %s\n" % __version__


@pytest.mark.slow
def test_the_script_from_a_clone_without_the_package_says_which_pip_command_to_run(tmp_path):
    script = os.path.join(ROOT, "scripts", "reproduce_blog.py")
    result = subprocess.run([sys.executable, "-S", "-E", script],  # no site-packages, no PYTHONPATH
                            capture_output=True, text=True, cwd=str(tmp_path), timeout=300)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == ('reproduce_blog.py: error: mtneuron is not installed: run pip install -e '
                             '".[cpu]" in the clone first (see README.md)\n')
