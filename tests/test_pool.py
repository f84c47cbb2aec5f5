"""The one way mtneuron starts worker processes: spawned, fresh each time."""

import os

import pytest

from mtneuron.run import pool


def process_id():
    return os.getpid()


@pytest.mark.slow
def test_in_processes_runs_that_many_times_in_worker_processes():
    found = pool.in_processes(2, process_id)  # a fast call may run twice in one worker (Python 3.7 does)
    assert len(found) == 2 and os.getpid() not in found


def test_workers_are_spawned_never_forked():
    assert pool.SPAWN.get_start_method() == "spawn"
