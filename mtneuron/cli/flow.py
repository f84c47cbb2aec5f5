"""The one flow of every training command: parse, build the runs, sweep, write the report; and the guard
every command runs under.

Bad input ends in one line naming the fix: exit code 2 for options, paths and records that cannot be used
(the option types and shared groups are in ``arguments``), 1 for a run or write that failed; SIGTERM and
Ctrl-C end a sweep with one line saying how to resume.
"""

import collections
import gc
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
import traceback

from mtneuron import blog, blog_runs, data
from mtneuron.data import DataError
from mtneuron.run import hparams, sweep
from mtneuron.run.records import RecordError
from mtneuron.run.sweep import RunError

USAGE_ERRORS = (DataError, RecordError, ImportError)  # exit code 2: input that cannot be used
RUN_ERRORS = (RunError, OSError)  # exit code 1: a run or a write that failed

Sweep = collections.namedtuple("Sweep", ["out_dir", "specs", "train", "keep_weights"], defaults=(False,))
Sweep.__doc__ = """Runs to train into one output directory, with the trainer callable that trains them; with
``keep_weights`` each run's final parameters go beside its record."""



def study(script, parser, argv, sweeps, write):
    """Parse ``argv``; train the ``sweeps(options)`` unless --report-only; ``write(options)`` the report,
    which returns the lines to print. Returns the exit code."""
    def action(options):
        for planned in ([] if options.report_only else sweeps(options)):
            _train(planned, options)
        return _earlier_sessions(options.out) + write(options)

    return command_line(script, parser, argv, action)


def _earlier_sessions(out_dir):
    """Give runs made before HParams sessions were written theirs (from their records); say so if any.
    Reports need no TensorFlow: without it, the sessions wait for a later command."""
    if not hparams.available():
        return ["wrote no TensorBoard HParams sessions: TensorBoard is not installed (pip install "
                "tensorboard; then any command on %s, --report-only too, writes them)" % out_dir]
    try:
        written = hparams.write_missing(out_dir)
    except ImportError as error:
        return ["HParams sessions not checked (%s)" % error]
    return ["wrote the HParams sessions of %d earlier run(s) into %s" % (
        len(written), os.path.dirname(written[0]))] if written else []


def command_line(script, parser, argv, action):
    """Parse ``argv`` (the process's arguments when None) and run ``action(options)``, guarded."""
    argv = sys.argv[1:] if argv is None else argv
    options = parser.parse_args(argv)
    options.command = _command(script, argv)  # what the records and reports say was run
    return _guarded(script, lambda: action(options))


class Interrupted(KeyboardInterrupt):
    """SIGTERM (what ``timeout`` and schedulers send), ending a command as Ctrl-C does."""


def _terminated(signum, frame):
    raise Interrupted(signum)


def _guarded(script, action):
    """Run ``action()`` and print the lines it returns; a user error ends in one line and its exit code."""
    main = threading.current_thread() is threading.main_thread()  # only there can signals be handled
    previous = signal.signal(signal.SIGTERM, _terminated) if main else None
    try:
        lines = action()
    except KeyboardInterrupt as error:
        traceback.clear_frames(error.__traceback__)  # the sweep's pool and its semaphores: released now,
        gc.collect()  # or the resource tracker warns at exit of "leaked semaphore objects"
        print("%s: %s: the runs that finished are saved; run the same command again to resume (complete runs "
              "are skipped, unfinished ones go on from their last epoch's checkpoint)"
              % (script, "terminated" if isinstance(error, Interrupted) else "interrupted"), file=sys.stderr)
        return 128 + (signal.SIGTERM if isinstance(error, Interrupted) else signal.SIGINT)
    except USAGE_ERRORS as error:
        return _fail(script, error, 2)
    except RUN_ERRORS as error:
        return _fail(script, error, 1)
    finally:
        if main:
            signal.signal(signal.SIGTERM, previous)
    try:
        print("\n".join(lines))
    except BrokenPipeError:  # the reader left (``| head``): the work is done, say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def _fail(script, error, code):
    """Report a user-facing error in one line on stderr; return ``code``."""
    print("%s: error: %s" % (script, error), file=sys.stderr)
    return code


def _train(planned, options):
    """Train the specs of ``planned`` not yet complete in its directory, in worker processes or Ray tasks."""
    todo, done = (list(planned.specs), []) if options.force else sweep.plan(planned.specs, planned.out_dir)
    if done:
        print(_skipping([spec.filename for spec in planned.specs if spec not in todo], planned.out_dir))
    if not todo:
        return
    data.mnist_files(options.data_dir)  # fail (or download) once, before any worker starts
    jobs = min(options.jobs, len(todo))
    threads = options.threads or max(1, (os.cpu_count() or 1) // jobs)
    at_once = "on the Ray cluster at " + options.address if options.address else "%d at a time" % jobs
    print("training %d run(s) in %s, %s, %d TensorFlow thread(s) each (%s)"
          % (len(todo), planned.out_dir, at_once, threads, options.backend))
    started = time.time()
    sweep.run_sweep(todo, planned.out_dir, planned.train, data_dir=options.data_dir, jobs=jobs,
                    threads=threads, progress=not options.no_progress, backend=options.backend,
                    address=options.address,
                    extra={"command": options.command, "jobs": jobs, "backend": options.backend},
                    keep_weights=planned.keep_weights)
    print("trained %d run(s) in %.1f min" % (len(todo), (time.time() - started) / 60))


def _skipping(names, out_dir):
    """The line for the complete runs ``names``: the committed reference runs when git tracks them."""
    what = "trained before with these settings"
    if _tracked(out_dir, names):
        what = "the committed reference runs"
    return ("skipping %d complete run(s) in %s (%s): to train afresh pass --force (overwrites them) or "
            "--out DIR (a new directory)" % (len(names), out_dir, what))


def _tracked(directory, names):
    """Whether git tracks every file ``names`` in ``directory`` (False outside a git checkout)."""
    try:
        listed = subprocess.run(["git", "ls-files", "--"] + names, cwd=directory, capture_output=True,
                                text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return listed.returncode == 0 and len(listed.stdout.split()) == len(names)


def _command(prog, argv):
    """The command line as run: ``python scripts/reproduce_blog.py ...`` from the script, else
    ``mtneuron compare ...`` (or ``python -m mtneuron compare ...``)."""
    words = ["python", "scripts/" + prog] if prog.endswith(".py") else prog.split()
    return " ".join(shlex.quote(word) for word in words + list(argv))


def blog_specs(options, seeds, engine, learning_rates=None):
    """One ``RunSpec`` per seed, learning rate and model, with the run options of ``options``."""
    return blog_runs.expand(
        options.models, learning_rates or options.learning_rates, seeds, n_epochs=options.epochs,
        n_examples=options.examples_per_epoch,
        average_every=options.average_every or max(1, options.examples_per_epoch // blog.POINTS_PER_EPOCH),
        hidden_sizes=tuple(options.hidden_sizes), test_examples=options.test_examples, engine=engine,
        measure=options.measure)


def train_blog_run(spec, datasets, context):
    """``training.train``, imported where it runs: the sweep's parent process needs no TensorFlow."""
    from mtneuron.train import training

    return training.train(spec, datasets, context)
