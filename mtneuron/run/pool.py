"""Fresh worker processes, the one way every part of mtneuron starts them: spawned, never forked
(TensorFlow's thread pools do not survive a fork), so none inherits another's state."""

import concurrent.futures
import multiprocessing

SPAWN = multiprocessing.get_context("spawn")


def spawn_pool(processes, initializer=None, initargs=()):
    """A process pool of ``processes`` spawned workers, each set up by ``initializer(*initargs)``."""
    return concurrent.futures.ProcessPoolExecutor(processes, mp_context=SPAWN, initializer=initializer,
                                                  initargs=initargs)


def in_processes(processes, function, *args):
    """``function(*args)`` ``processes`` times at once in as many fresh worker processes (a call that
    ends before another worker has started may leave its worker to run the next); their results."""
    with spawn_pool(processes) as pool:
        futures = [pool.submit(function, *args) for _ in range(processes)]
        return [future.result() for future in futures]
