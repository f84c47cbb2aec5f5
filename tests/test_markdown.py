"""mtneuron.run.markdown: tables, numbers, p-values and the provenance of runs."""

import math

from mtneuron.run import markdown


def test_table_has_a_header_a_rule_and_a_row_per_row():
    table = markdown.table(["a", "b"], [["1", "2"], ["3", "4"]])
    assert table == "| a | b |\n|---|---|\n| 1 | 2 |\n| 3 | 4 |"
    assert markdown.table(["only"], []) == "| only |\n|---|"


def test_number_formats_finite_values_and_dashes_the_rest():
    assert markdown.number(0.12345) == "0.1235"
    assert markdown.number(0.5, "%+.2f") == "+0.50"
    assert [markdown.number(value) for value in (None, math.nan, math.inf)] == [markdown.DASH] * 3


def test_p_value_has_two_significant_digits_and_goes_scientific_below_1e_4():
    assert [markdown.p_value(value) for value in (0.5, 0.01234, 1e-4, 9.9e-5, 1.234e-12)] == [
        "0.5", "0.012", "0.0001", "9.9e-05", "1.2e-12"]
    assert markdown.p_value(None) == markdown.p_value(math.nan) == markdown.DASH


def run(engine, started, minutes, **facts):
    record = {"engine": engine, "started_at": started, "finished_at": started + 60 * minutes,
              "wall_time_s": 60 * minutes, "command": "python scripts/reproduce_blog.py"}
    record.update(facts)
    return record


def test_the_wall_time_leaves_out_the_pauses_between_sittings():
    runs = [run("fast", 1.7e9, 2.0), run("fast", 1.7e9 + 30, 1.0), run("fast", 1.7e9 + 130, 1.0),
            run("fast", 1.7e9 + 86400, 3.0)]  # a 10 s pause between runs is part of the sweep; a day is not
    assert markdown.sittings(runs) == [(1.7e9, 1.7e9 + 190), (1.7e9 + 86400, 1.7e9 + 86580)]
    assert markdown.sweep_seconds(runs) == 370.0
    assert markdown.provenance(runs)[-1] == ("sweep wall time: 6.2 min (while runs were going, in 2 "
                                             "sittings); compute time summed over runs: 7.0 min")


def test_provenance_lists_every_value_the_runs_recorded_and_the_wall_time():
    runs = [run("fast", 1.7e9, 2.0, tensorflow_version="2.21.0"), run("exact", 1.7e9 + 60, 3.0)]
    facts = markdown.provenance(runs)
    assert facts[0] == "command: `python scripts/reproduce_blog.py`"
    assert "engine: exact, fast" in facts and "TensorFlow: 2.21.0, –" in facts and "XLA_FLAGS: –" in facts
    assert facts[-2] == "runs: 2, from 2023-11-14 22:13 to 2023-11-14 22:17 UTC"
    assert facts[-1] == ("sweep wall time: 4.0 min (while runs were going); "
                         "compute time summed over runs: 5.0 min")
    assert markdown.sweep_seconds(runs) == 240.0
    assert markdown.provenance([dict(runs[0], command=None)])[0] == "command: `None`"
    del runs[1]["command"]
    assert "command: `(not recorded)`" in markdown.provenance(runs)


def test_bullets_make_one_list_line_per_fact():
    assert markdown.bullets(["a", "b"]) == ["- a", "- b"] and markdown.bullets([]) == []
