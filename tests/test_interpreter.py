"""interpreter.py: a function of mtneuron called under another interpreter, its result as JSON."""

import sys

import pytest

from mtneuron.run import interpreter, records
from mtneuron.run.records import RecordError


def test_a_call_under_an_interpreter_returns_the_functions_result():
    assert interpreter.call_under(sys.executable, records.format_rate, learning_rate=0.0005) == "0.0005"
    assert interpreter.call_under(sys.executable, records.seed_suffix, seed=3) == "_seed3"


@pytest.mark.parametrize("python, message", [
    ("/bin/false", "could not run format_rate (exit code 1): install mtneuron into it"),
    ("/no/such/python", "cannot run /no/such/python"),
])
def test_an_interpreter_that_cannot_call_is_one_line_naming_the_fix(python, message):
    with pytest.raises(RecordError, match=message.replace("(", r"\(").replace(")", r"\)")) as error:
        interpreter.call_under(python, records.format_rate, learning_rate=0.001)
    assert "\n" not in str(error.value)
