"""Run a set of specs in worker processes or Ray tasks, one JSON record each, resuming what is done.

The parent never imports TensorFlow (nor Ray, unless asked for): each worker process loads
MNIST once, builds one graph per run and writes its record atomically, so a killed sweep
loses only the runs that were in flight, and re-running it redoes only those.
"""

import multiprocessing
import os
import shutil
import signal
import threading
import time

from tqdm import tqdm

from mtneuron.run import hparams, records
from mtneuron.run.pool import SPAWN, spawn_pool
from mtneuron.run.records import RecordError, RunContext

CHECKPOINTS = "checkpoints"  # OUT/checkpoints/<run>/: the epoch checkpoints of unfinished runs


class RunError(RuntimeError):
    """A run that failed in its worker, in one line naming the run and the cause.

    Only this plain exception crosses the process (or Ray) boundary: TensorFlow's errors hold
    locks and graph objects that cannot be pickled, so the real cause would never arrive.
    """


FRAMING = ("Graph execution error:", "Detected at node", "File ", "Node:", "[[", "Hint:",
           "Errors may have originated", "Original stack trace")  # TensorFlow's lines around the cause


def run_error(spec, error):
    """``RunError`` for ``spec`` from the worker's ``error``: its type and the line of its message that says
    what went wrong (TensorFlow 2's graph errors open with a header and a stack trace before it)."""
    message = str(getattr(error, "message", None) or error)
    lines = [text.strip() for text in message.splitlines() if text.strip()] or ["no message"]
    cause = next((line for line in lines if not line.startswith(FRAMING)), lines[0])
    return RunError("%s failed: %s: %s" % (spec.name, type(error).__name__, cause))


def plan(specs, out_dir):
    """Split ``specs`` into ``(todo, done)`` by the records already in ``out_dir``.

    A complete record made with the same spec is done. A file of the same name that holds another
    spec's record, or no readable record at all, is refused: it would be overwritten.
    """
    todo, done = [], []
    for spec in specs:
        path = os.path.join(out_dir, spec.filename)
        existing = records.read_json(path)
        if _is_record_of(existing, spec):
            done.append(existing)
            continue
        if os.path.exists(path):
            raise RecordError("%s in %s %s: choose another --out or pass --force to overwrite it"
                              % (spec.filename, out_dir, _what_is_there(existing, spec)))
        todo.append(spec)
    return todo, done


def _is_record_of(existing, spec):
    complete = existing is not None and records.is_complete(existing)
    return complete and records.spec_of(existing, type(spec)) == spec


def _what_is_there(existing, spec):
    if existing is None or not records.is_complete(existing) or not isinstance(existing.get("spec"), dict):
        return "is not a complete run record"
    return "was made with other settings (%s)" % _differences(existing, spec)


def _differences(record, spec):
    old, new = records.spec_of(record, type(spec)).to_dict(), spec.to_dict()  # absent fields: their defaults
    return ", ".join("%s %s -> %s" % (key, old.get(key), new[key])
                     for key in new if old.get(key) != new[key])


def run_sweep(specs, out_dir, train, data_dir=None, jobs=1, threads=None, progress=True, extra=None,
              backend="processes", address=None, keep_weights=False):
    """Train every spec with ``train(spec, datasets, context)``, writing ``out_dir/<spec.filename>``
    as each run finishes; return the records.

    ``jobs`` runs go in parallel, each in its own process with ``threads`` TensorFlow threads.
    ``extra`` (e.g. the command line) is stored in every record; with ``keep_weights`` each run's final
    parameters go beside its record (``weights_path``). ``backend="ray"`` runs them as Ray
    tasks instead, on a local instance or the cluster at ``address`` (whose workers must see
    ``out_dir`` and ``data_dir``: a shared filesystem). ``train`` must be a module-level function,
    so that it pickles by name.
    """
    os.makedirs(out_dir, exist_ok=True)
    on_ray = backend == "ray"
    arguments = [(train, spec, data_dir, out_dir, threads, progress and not on_ray, extra or {}, keep_weights)
                 for spec in specs]
    try:
        if on_ray:
            return _run_on_ray(arguments, jobs * (threads or 1), threads or 1, address, progress)
        if jobs <= 1 or len(specs) <= 1:
            _init_worker(None)
            return [_run_one(*argument) for argument in arguments]
        return _run_in_processes(arguments, min(jobs, len(specs)))
    finally:
        try:
            os.rmdir(os.path.join(out_dir, CHECKPOINTS))  # only when empty: no run left unfinished
        except OSError:
            pass


def _run_in_processes(arguments, jobs):
    """``_run_one`` per argument tuple in ``jobs`` spawned worker processes."""
    slots = SPAWN.Value("i", 0)
    pool = spawn_pool(jobs, _init_worker, (slots, os.getpid(), SPAWN.RLock()))
    with pool:
        futures = [pool.submit(_run_one, *argument) for argument in arguments]
        try:
            return [future.result() for future in futures]
        except KeyboardInterrupt:  # Ctrl-C or SIGTERM: end the workers' runs now, not once they finish
            for future in futures:
                future.cancel()
            for worker in multiprocessing.active_children():
                worker.terminate()
            raise


def _run_on_ray(arguments, cpus, threads, address, progress):
    """``_run_one`` per argument tuple as a Ray task of ``threads`` CPUs, on a local instance of
    ``cpus`` CPUs or the cluster at ``address``; each task writes its record as it finishes."""
    try:
        import ray
    except ImportError:
        raise ImportError('--backend ray needs Ray: pip install "mtneuron[ray]"') from None
    started = not ray.is_initialized()
    if started:
        # workers on other machines do not inherit our environment, and the kernel choice changes results
        env = {name: os.environ[name] for name in ("TF_ENABLE_ONEDNN_OPTS",) if name in os.environ}
        local = {} if address else {"num_cpus": cpus, "include_dashboard": False}
        ray.init(address=address, log_to_driver=False, runtime_env={"env_vars": env}, **local)
    try:
        task = ray.remote(num_cpus=threads)(_run_one)
        results = [task.remote(*argument) for argument in arguments]
        _wait_on_ray(ray, results, progress)
        return ray.get(results)
    finally:
        if started:
            ray.shutdown()


def _wait_on_ray(ray, results, progress):
    """Wait for Ray tasks one by one, counting them on a bar; a failed run stops the sweep at once."""
    pending = results
    with tqdm(total=len(results), desc="runs", unit="run", disable=not progress) as bar:
        while pending:
            finished, pending = ray.wait(pending, num_returns=1)
            try:
                ray.get(finished)
            except ray.exceptions.RayTaskError as error:
                raise (error.cause or error) from None
            bar.update(1)


_worker = {"slot": 0, "datasets": {}}


def _init_worker(slots, sweep_pid=None, bar_lock=None):
    """Give each worker process its own progress-bar line, and its end when the sweep ``sweep_pid`` ends.
    The bars share the sweep's ``bar_lock``: a worker then makes no semaphore of its own, which a worker
    ended by the sweep (on Ctrl-C or SIGTERM) could not release."""
    if slots is not None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the sweep ends us
        tqdm.set_lock(bar_lock)
        with slots.get_lock():
            _worker["slot"] = slots.value
            slots.value += 1
        threading.Thread(target=_exit_with_parent, args=(sweep_pid,), daemon=True).start()


def _exit_with_parent(parent):
    """End this worker once its sweep process is gone (killed, even by kill -9): an orphan would
    go on training runs nobody waits for."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def _run_one(train, spec, *rest):
    """``_train_one``, its failure raised as a ``RunError`` that any backend can carry to the parent."""
    try:
        return _train_one(train, spec, *rest)
    except Exception as error:  # every cause must reach the user, in one line
        raise run_error(spec, error) from None


def weights_path(out_dir, spec):
    """Where a run's final parameters go: ``{name}.npz`` beside its record."""
    return os.path.join(out_dir, spec.name + ".npz")


def _train_one(train, spec, data_dir, out_dir, threads, progress, extra, keep_weights):
    """Train ``spec`` (from its last epoch checkpoint, for trainers that keep them) and write its record."""
    from mtneuron import data  # TensorFlow is imported in workers only, by the trainer

    key = (spec.dataset, data_dir)
    if key not in _worker["datasets"]:
        _worker["datasets"][key] = data.load(*key)
    checkpoint_dir = os.path.join(out_dir, CHECKPOINTS, spec.name)
    context = RunContext(threads=threads, progress=progress, position=_worker["slot"],
                         tensorboard_dir=hparams.run_directory(out_dir, spec.name),
                         checkpoint_dir=checkpoint_dir,
                         weights_path=weights_path(out_dir, spec) if keep_weights else None)
    record = train(spec, _worker["datasets"][key], context)
    record.update(extra)
    records.write_json(os.path.join(out_dir, spec.filename), record)
    shutil.rmtree(checkpoint_dir, ignore_errors=True)  # only once the record is safe
    if hparams.available():  # else the command says once that it wrote no sessions (cli._earlier_sessions)
        hparams.write_run(context.tensorboard_dir, record)
    return record
