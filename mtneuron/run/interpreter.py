"""Call a function of mtneuron under another Python interpreter, e.g. a venv with TensorFlow 1.15.

Studies that compare two TensorFlows (agreement, benchmarks) run the same function in a fresh
process of each; the result comes back as JSON through a file (the process's output stays free
for its progress). Nothing here imports TensorFlow.
"""

import json
import os
import subprocess
import tempfile

from mtneuron.run.records import RecordError

CALL = ("import importlib, json, sys; "
        "function = getattr(importlib.import_module(sys.argv[1]), sys.argv[2]); "
        "result = function(**json.loads(sys.argv[3])); "
        "open(sys.argv[4], 'w').write(json.dumps(result))")


def call_under(python, function, **arguments):
    """``function(**arguments)`` run by ``python`` (a module-level function of mtneuron, JSON in and
    out); a missing interpreter or one without mtneuron is a one-line ``RecordError`` with the fix."""
    handle, path = tempfile.mkstemp(prefix="mtneuron-call-", suffix=".json")
    os.close(handle)
    command = [python, "-c", CALL, function.__module__, function.__name__, json.dumps(arguments), path]
    try:
        finished = subprocess.run(command, capture_output=True, text=True)
        if finished.returncode != 0:
            last = (finished.stderr.strip().splitlines() or ["exit code %d" % finished.returncode])[-1]
            raise RecordError("%s could not run %s (%s): install mtneuron into it, e.g. %s -m pip install -e "
                              "'.[tf1]'" % (python, function.__name__, last, python))
        with open(path) as stream:
            return json.load(stream)
    except OSError as error:
        raise RecordError("cannot run %s: %s: pass --python a Python interpreter" % (python, error)) from None
    finally:
        os.remove(path)
