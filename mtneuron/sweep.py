"""Run a set of specs in worker processes, one JSON record each, resuming what is done.

The parent never imports TensorFlow: each worker process loads MNIST once, builds one
graph per run and writes its record atomically, so a killed sweep loses only the runs
that were in flight, and re-running it redoes only those.
"""

import concurrent.futures
import importlib
import itertools
import multiprocessing
import os

from mtneuron import records
from mtneuron.records import BLOG_SEED, RecordError, RunSpec


def expand(models, learning_rates, seeds=(BLOG_SEED,), **settings):
    """One ``RunSpec`` per (seed, learning rate, model), rates ascending, sharing ``settings``."""
    return [RunSpec(model=model, learning_rate=rate, seed=seed, **settings)
            for seed, rate, model in itertools.product(seeds, sorted(set(learning_rates)), models)]


def plan(specs, out_dir, force=False):
    """Split ``specs`` into ``(todo, done)`` by the records already in ``out_dir``.

    A complete record made with the same spec is done. A record of the same file name made
    with another spec is refused (it would be overwritten) unless ``force``.
    """
    todo, done = [], []
    for spec in specs:
        existing = records.read_json(os.path.join(out_dir, spec.filename))
        if existing is not None and records.is_complete(existing):
            if records.spec_of(existing, type(spec)) == spec:
                done.append(existing)
                continue
            if not force:
                raise RecordError(
                    "%s in %s was made with other settings (%s): choose another --out or pass "
                    "--force to overwrite it" % (spec.filename, out_dir, _differences(existing, spec)))
        todo.append(spec)
    return todo, done


def _differences(record, spec):
    old, new = record["spec"], spec.to_dict()
    return ", ".join("%s %s -> %s" % (key, old.get(key), new[key])
                     for key in new if old.get(key) != new[key])


def run_sweep(specs, out_dir, data_dir=None, jobs=1, threads=None, progress=True, extra=None):
    """Train every spec, writing ``out_dir/<spec.filename>`` as each run finishes.

    ``jobs`` runs go in parallel, each in its own process with ``threads`` TensorFlow
    threads. ``extra`` (e.g. the command line) is stored in every record. Returns the records.
    """
    os.makedirs(out_dir, exist_ok=True)
    arguments = [(spec, data_dir, out_dir, threads, progress, extra or {}) for spec in specs]
    if jobs <= 1 or len(specs) <= 1:
        _init_worker(None)
        return [_run_one(*argument) for argument in arguments]
    context = multiprocessing.get_context("spawn")
    slots = context.Value("i", 0)
    with concurrent.futures.ProcessPoolExecutor(
            max_workers=min(jobs, len(specs)), mp_context=context,
            initializer=_init_worker, initargs=(slots,)) as pool:
        futures = [pool.submit(_run_one, *argument) for argument in arguments]
        return [future.result() for future in futures]


_worker = {"slot": 0, "datasets": {}}


def _init_worker(slots):
    """Give each worker process its own progress-bar line."""
    if slots is not None:
        with slots.get_lock():
            _worker["slot"] = slots.value
            slots.value += 1


def _run_one(spec, data_dir, out_dir, threads, progress, extra):
    from mtneuron import data  # TensorFlow is imported in workers only, by the spec's trainer

    if data_dir not in _worker["datasets"]:
        _worker["datasets"][data_dir] = data.read_data_sets(data_dir)
    module, name = spec.trainer.split(":")
    record = getattr(importlib.import_module(module), name)(
        spec, _worker["datasets"][data_dir], threads=threads, progress=progress,
        position=_worker["slot"],
        tensorboard_dir=os.path.join(out_dir, "tensorboard", spec.filename[:-5]))
    record.update(extra)
    records.write_json(os.path.join(out_dir, spec.filename), record)
    return record
