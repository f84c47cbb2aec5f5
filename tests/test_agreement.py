"""The TensorFlow agreement study: bitwise differences, the first place two snapshots part, the report."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from mtneuron.studies import agreement
from tests.helpers import MTNEURON, ROOT, synthetic_datasets


def test_difference_counts_units_in_the_last_place():
    one = np.float32(1.0)
    close = np.nextafter(np.nextafter(one, np.float32(2)), np.float32(2))  # two floats above 1
    row = agreement.difference(np.float32([one, -one, 0.5]), np.float32([close, -one, 0.5]))
    assert row["identical"] is False and row["differing"] == 1 and row["max_ulps"] == 2
    assert row["max_abs"] == pytest.approx(float(close - one)) and row["fraction"] == pytest.approx(1 / 3)
    same = agreement.difference(np.arange(4), np.arange(4))
    assert same["identical"] and same["differing"] == 0


def test_difference_sees_the_sign_of_zero_and_refuses_other_shapes():
    zeros = agreement.difference(np.float32([0.0]), np.float32([-0.0]))
    assert not zeros["identical"] and zeros["max_ulps"] == 0
    with pytest.raises(ValueError, match="shapes differ"):
        agreement.difference(np.zeros(3), np.zeros(4))


@pytest.fixture(scope="module")
def snapshot():
    return agreement.snapshot(synthetic_datasets(), ("multi",), steps=(1, 3))


def test_a_snapshot_holds_every_quantity_in_dataflow_order(snapshot):
    names = agreement.quantities(snapshot, "multi")
    assert names[:2] == ["order", "initial/W_01"] and names[-1] == "after_3/b_3"
    kinds = [name.split("/")[0] for name in names]
    assert kinds == sorted(kinds, key=["order", "initial", "forward", "gradient", "after_1", "after_3"].index)
    assert snapshot["multi/gradient/W_01"].shape == (251, 784) and snapshot["multi/forward/loss"].shape == ()


def test_the_same_tensorflow_agrees_with_itself_bit_for_bit(snapshot):
    outcome = agreement.compare(snapshot, dict(snapshot))["models"]["multi"]
    assert outcome["first_difference"] is None and all(row["identical"] for row in outcome["quantities"])
    assert agreement.verdict(outcome).startswith("Bit-identical")


@pytest.mark.parametrize("quantity, cause", [("forward/hidden_2", "forward kernel"),
                                             ("gradient/W_12", "gradient kernel"),
                                             ("after_1/b_1", "Adam update kernel"),
                                             ("after_3/W_23", "later example")])
def test_the_first_difference_names_where_the_two_part(snapshot, quantity, cause):
    changed = dict(snapshot)
    changed["multi/" + quantity] = np.nextafter(snapshot["multi/" + quantity], np.float32(np.inf))
    changed["multi/after_3/b_3"] = snapshot["multi/after_3/b_3"] + 1  # later differences do not matter
    outcome = agreement.compare(snapshot, changed)["models"]["multi"]
    assert outcome["first_difference"] == quantity and cause in agreement.verdict(outcome)
    assert quantity in agreement.markdown(agreement.compare(snapshot, changed), "cmd", 60.0)


@pytest.mark.slow
def test_the_command_compares_two_interpreters_and_writes_both_reports(mnist_dir, tmp_path):
    out = str(tmp_path / "agreement.md")
    result = subprocess.run(MTNEURON + ["agreement", "--python",
                             sys.executable, "--models", "central", "--data-dir", mnist_dir, "--out", out],
                            capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert result.returncode == 0, result.stderr
    with open(os.path.splitext(out)[0] + ".json") as stream:
        outcome = json.load(stream)["models"]["central"]
    assert outcome["first_difference"] is None and len(outcome["quantities"]) == 1 + 6 + 4 + 6 + 18
    assert "Bit-identical" in open(out).read()


@pytest.mark.slow
def test_an_interpreter_without_mtneuron_is_a_one_line_error(mnist_dir, tmp_path):
    result = subprocess.run(MTNEURON + ["agreement", "--python",
                             "/bin/false", "--data-dir", mnist_dir, "--out", str(tmp_path / "a.md")],
                            capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr  # a usage error
    assert "install mtneuron into it" in result.stderr and not os.listdir(str(tmp_path))
