"""Command-line front end: ``reproduce_blog`` parses options and calls sweep and report."""

import argparse
import os
import shlex
import sys
import time

from mtneuron import data, report, sweep
from mtneuron.data import DataError
from mtneuron.records import RecordError

BLOG_LEARNING_RATES = (0.0005, 0.001, 0.005, 0.01)
MODELS = ("central", "multi")
ENGINES = ("faithful", "exact", "fast")
TRAIN_SIZE = 55000
TEST_SIZE = 10000


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (and exit code 2)."""

    def error(self, message):
        self.exit(2, "%s: error: %s (see --help)\n" % (self.prog, message))


def _positive(kind, maximum=None):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError("%r is not a %s" % (text, kind.__name__)) from None
        if not value > 0:
            raise argparse.ArgumentTypeError("%s must be > 0" % text)
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError("%s must be <= %d" % (text, maximum))
        return value
    return parse


def reproduce_blog_parser():
    cores = os.cpu_count() or 1
    parser = Parser(
        prog="reproduce_blog.py",
        description="Re-run the blog's experiment: central- vs multi-threshold networks "
                    "(784-251-87-10, batch size 1, Adam) at several learning rates. Writes "
                    "run_{model}_{rate}.json per run, Figures 2 and 3 and summary.md into --out. "
                    "Runs already complete with the same settings are skipped, so a killed "
                    "sweep resumes where it stopped.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--learning-rates", nargs="+", type=_positive(float),
                        default=list(BLOG_LEARNING_RATES), metavar="RATE",
                        help="learning rates to sweep")
    parser.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS),
                        help="neuron models to train")
    parser.add_argument("--epochs", type=_positive(int), default=4, help="epochs per run")
    parser.add_argument("--examples-per-epoch", type=_positive(int, TRAIN_SIZE), default=TRAIN_SIZE,
                        metavar="N", help="training examples per epoch (fewer for a quick run)")
    parser.add_argument("--average-every", type=_positive(int), metavar="N",
                        help="examples per point of the curves [default: examples per epoch // 50, "
                             "1,100 as in the blog]")
    parser.add_argument("--test-examples", type=_positive(int, TEST_SIZE), default=TEST_SIZE,
                        metavar="N", help="test examples to evaluate (the first N)")
    parser.add_argument("--hidden-sizes", nargs="+", type=_positive(int), default=[251, 87],
                        metavar="UNITS", help="units per hidden layer")
    parser.add_argument("--seed", type=int, default=21,
                        help="graph seed (initial weights) and data-order seed")
    parser.add_argument("--engine", choices=ENGINES, default="faithful",
                        help="training engine: faithful is the blog's per-example session.run loop")
    parser.add_argument("--data-dir", metavar="DIR",
                        help="directory with the MNIST IDX files (.gz or raw) [default: "
                             "$MTNEURON_DATA, else a user cache filled by download]")
    parser.add_argument("--out", default="results", metavar="DIR", help="output directory")
    parser.add_argument("--jobs", type=_positive(int), default=cores,
                        help="runs trained in parallel, one process each")
    parser.add_argument("--threads", type=_positive(int), metavar="N",
                        help="TensorFlow threads per run [default: cores // jobs, at least 1]")
    parser.add_argument("--force", action="store_true",
                        help="overwrite records in --out that were made with other settings")
    parser.add_argument("--report-only", action="store_true",
                        help="only redraw the figures and summary.md from the records in --out")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    return parser


def reproduce_blog(argv=None):
    """Entry point of ``reproduce_blog.py``; returns the exit code."""
    parser = reproduce_blog_parser()
    options = parser.parse_args(argv)
    try:
        if not options.report_only:
            _sweep(options, argv if argv is not None else sys.argv[1:])
        paths = report.write_report(options.out)
    except (DataError, RecordError, ImportError) as error:
        print("reproduce_blog.py: error: %s" % error, file=sys.stderr)
        return 1
    print("wrote " + ", ".join(paths))
    return 0


def _sweep(options, argv):
    specs = sweep.expand(
        options.models, options.learning_rates, seed=options.seed, n_epochs=options.epochs,
        n_examples=options.examples_per_epoch,
        average_every=options.average_every or max(1, options.examples_per_epoch // 50),
        hidden_sizes=tuple(options.hidden_sizes), test_examples=options.test_examples,
        engine=options.engine)
    todo, done = sweep.plan(specs, options.out, force=options.force)
    if done:
        print("skipping %d complete run(s) in %s" % (len(done), options.out))
    if not todo:
        return
    data.mnist_files(options.data_dir)  # fail (or download) once, before any worker starts
    threads = options.threads or max(1, (os.cpu_count() or 1) // min(options.jobs, len(todo)))
    command = " ".join(shlex.quote(word) for word in ["python", "scripts/reproduce_blog.py"] + argv)
    print("training %d run(s), %d at a time, %d TensorFlow thread(s) each"
          % (len(todo), min(options.jobs, len(todo)), threads))
    started = time.time()
    sweep.run_sweep(todo, options.out, data_dir=options.data_dir, jobs=options.jobs,
                    threads=threads, progress=not options.no_progress,
                    extra={"command": command, "jobs": options.jobs})
    print("trained %d run(s) in %.1f min" % (len(todo), (time.time() - started) / 60))
