"""Paths and a runner for the command-line tests."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "scripts", "reproduce_blog.py")
QUICK_ARGS = ["--learning-rates", "0.001", "0.01", "--epochs", "2", "--examples-per-epoch", "220",
              "--test-examples", "100", "--no-progress"]


def run_script(args, data_dir):
    """Run scripts/reproduce_blog.py with ``args`` and MNIST from ``data_dir`` (None: unset)."""
    env = dict(os.environ)
    env.pop("MTNEURON_DATA", None)
    if data_dir is not None:
        env["MTNEURON_DATA"] = data_dir
    return subprocess.run([sys.executable, SCRIPT] + args, capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=900)
