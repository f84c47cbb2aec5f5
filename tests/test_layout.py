"""The layout's rules that code can break unseen. One: the packages that run, report and parse (``run``,
``studies``, ``cli``) and the data layer import neither TensorFlow nor Ray, so reports, notebooks and
``--help`` work without them."""

import os
import pkgutil
import subprocess
import sys

import mtneuron
from tests.helpers import ROOT

FREE = ("run", "studies", "cli")  # whole packages
ALSO_FREE = ("mtneuron", "mtneuron.blog", "mtneuron.blog_runs", "mtneuron.data", "mtneuron.data1d",
             "mtneuron.networks")


def free_modules():
    """Every module of the TensorFlow-free packages, found on disk (a new module is checked too)."""
    names = list(ALSO_FREE)
    for package in FREE:
        names.append("mtneuron." + package)
        path = [mtneuron.__path__[0] + "/" + package]
        names += [info.name for info in pkgutil.walk_packages(path, "mtneuron.%s." % package)]
    return names


def test_the_layout_has_the_folders_by_role():
    assert len(free_modules()) > 20 and "mtneuron.studies.comparison.report" in free_modules()


def test_the_tensorflow_free_packages_import_neither_tensorflow_nor_ray():
    code = ("import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)\n"
            "print(sorted(name for name in ('ray', 'tensorflow', 'keras') if name in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code] + free_modules(), capture_output=True, text=True,
                            cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_without_keras_3_importing_says_in_one_line_what_it_needs():
    result = subprocess.run([sys.executable, "-c", "import sys; sys.modules['keras'] = None\n"
                             "import mtneuron.keras"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == "ImportError: " + _needs()


def _needs():
    with open(os.path.join(ROOT, "mtneuron", "keras.py")) as stream:
        text = stream.read()
    start = text.index("NEEDS = (") + len("NEEDS = (")
    return "".join(part.strip().strip('"') for part in text[start:text.index(")\n", start)].split("\n"))
