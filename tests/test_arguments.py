"""arguments.py: option types refuse what cannot be used; the ones that can be used pass through."""

import argparse

import pytest

from mtneuron.cli import arguments


@pytest.mark.parametrize("text, seeds", [("1-5", [1, 2, 3, 4, 5]), ("3", [3]), ("1,4,7", [1, 4, 7]),
                                         ("1-3,9", [1, 2, 3, 9])])
def test_seed_lists_and_ranges(text, seeds):
    assert arguments.seeds(text) == seeds


@pytest.mark.parametrize("text", ["", "a-b", "1-", "x", "-1", "5-2", "4294967296"])
def test_bad_seed_lists_are_refused(text):
    with pytest.raises(argparse.ArgumentTypeError):
        arguments.seeds(text)


@pytest.mark.parametrize("text", ["0", "-1", "inf", "-inf", "nan", "1e400", "x", ""])
def test_numbers_must_be_finite_and_positive(text):
    with pytest.raises(argparse.ArgumentTypeError):
        arguments.number(float)(text)


def test_numbers_keep_their_type_and_maximum():
    assert arguments.number(float)("0.005") == 0.005 and arguments.number(int, 10)("10") == 10
    with pytest.raises(argparse.ArgumentTypeError, match="must be <= 10"):
        arguments.number(int, 10)("11")
    with pytest.raises(argparse.ArgumentTypeError, match="not an integer"):
        arguments.number(int)("1.5")


def test_counts_start_at_zero_and_stop_at_their_maximum():
    assert arguments.count(10)("0") == 0 and arguments.count(10)("10") == 10
    for text in ("-1", "11", "1.5", "x", ""):
        with pytest.raises(argparse.ArgumentTypeError, match="not a count"):
            arguments.count(10)(text)


@pytest.fixture
def places(tmp_path):
    """A file, a missing path and a directory under ``tmp_path``."""
    file = tmp_path / "file.md"
    file.write_text("mine\n")
    (tmp_path / "dir").mkdir()
    return {"FILE": str(file), "MISSING": str(tmp_path / "missing"), "DIR": str(tmp_path / "dir")}


def test_existing_output_files_and_directories_are_accepted(places):
    assert arguments.output_file(places["FILE"]) == places["FILE"]
    new = places["MISSING"] + "/new/report.md"
    assert arguments.output_file(new) == new
    assert arguments.output_dir(places["DIR"]) == places["DIR"]
    assert arguments.input_dir(places["DIR"]) == places["DIR"]
