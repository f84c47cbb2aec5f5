"""The one way mtneuron starts worker processes: spawned, fresh each time."""

import os

import pytest

from mtneuron.run import pool


def process_id():
    return os.getpid()


@pytest.mark.slow
def test_in_processes_runs_once_in_each_of_that_many_fresh_processes():
    first, second = pool.in_processes(2, process_id), pool.in_processes(1, process_id)
    assert len(set(first)) == 2 and os.getpid() not in first and second[0] not in first


def test_workers_are_spawned_never_forked():
    assert pool.SPAWN.get_start_method() == "spawn"
