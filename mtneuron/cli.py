"""Command-line front ends: reproduce_blog, claims_study, engine_equivalence, benchmark and part2."""

import argparse
import itertools
import os
import re
import shlex
import sys
import tempfile
import time

from mtneuron import agreement, claims, data, files, records, report, sweep
from mtneuron.data import DataError
from mtneuron.records import ARCHITECTURES, BLOG_SEED, ENGINES, INITS, MinibatchSpec, RecordError
from mtneuron.sweep import RunError

BLOG_LEARNING_RATES = (0.0005, 0.001, 0.005, 0.01)
MODELS = ("central", "multi")
DEFAULT_ENGINE = "fast"
TRAIN_SIZE = 55000
TEST_SIZE = 10000


USER_ERRORS = (DataError, RecordError, ImportError, RunError)  # reported in one line, never as a traceback


def _fail(prog, error):
    """Report a user-facing error in one line on stderr; return exit code 1."""
    print("%s: error: %s" % (prog, error), file=sys.stderr)
    return 1


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (and exit code 2)."""

    def error(self, message):
        self.exit(2, "%s: error: %s (see --help)\n" % (self.prog, message))

    def parse_args(self, args=None, namespace=None):
        """Parse, then refuse a Ray cluster address for a sweep that does not run on Ray."""
        options = super().parse_args(args, namespace)
        if getattr(options, "address", None) and options.backend != "ray":
            self.error("--address needs --backend ray")
        return options


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


def _seeds(text):
    """Seeds as ``1-10``, ``1,3,5`` or a mix such as ``1-3,7``."""
    seeds = []
    for part in text.split(","):
        match = re.fullmatch(r"(\d+)(?:-(\d+))?", part.strip())
        if match is None:
            raise argparse.ArgumentTypeError("%r is not a list or range of seeds such as 1-5 or 1,3,5" % text)
        seeds += range(int(match.group(1)), int(match.group(2) or match.group(1)) + 1)
    if not seeds:
        raise argparse.ArgumentTypeError("%r names no seed (a range runs upwards: 1-5)" % text)
    return seeds


def _parser(prog, description, learning_rates):
    """A parser with the options every training command shares."""
    parser = Parser(prog=prog, description=description,
                    formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--learning-rates", nargs="+", type=_positive(float),
                        default=list(learning_rates), metavar="RATE", help="learning rates to sweep")
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
    parser.add_argument("--data-dir", metavar="DIR",
                        help="directory with the MNIST IDX files (.gz or raw) [default: "
                             "$MTNEURON_DATA, else a user cache filled by download]")
    parser.add_argument("--jobs", type=_positive(int), default=os.cpu_count() or 1,
                        help="runs trained in parallel, one process each")
    parser.add_argument("--threads", type=_positive(int), metavar="N",
                        help="TensorFlow threads per run [default: cores // jobs, at least 1]")
    _backend_options(parser)
    parser.add_argument("--force", action="store_true",
                        help="overwrite records in the output directory made with other settings")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    return parser


def _backend_options(parser):
    """``--backend`` and ``--address``, for every command that trains a sweep."""
    parser.add_argument("--backend", choices=("processes", "ray"), default="processes",
                        help="where runs execute: local worker processes, or Ray tasks (needs "
                             "pip install 'mtneuron[ray]'); the records are the same")
    parser.add_argument("--address", metavar="ADDRESS",
                        help="with --backend ray, the Ray cluster to run on (auto, ray://host:10001), "
                             "each run a task of --threads CPUs; its nodes must share --out and "
                             "--data-dir [default: a local Ray instance of --jobs x --threads CPUs]")


def reproduce_blog_parser():
    parser = _parser(
        "reproduce_blog.py",
        "Re-run the blog's experiment: central- vs multi-threshold networks (784-251-87-10, batch "
        "size 1, Adam) at several learning rates. Writes run_{model}_{rate}.json per run, Figures 2 "
        "and 3 and summary.md into --out. Runs already complete with the same settings are skipped, "
        "so a killed sweep resumes where it stopped.", BLOG_LEARNING_RATES)
    parser.add_argument("--seeds", type=_seeds, default=[BLOG_SEED], metavar="SEEDS",
                        help="graph (initial weights) and data-order seeds, as a range or list: 1-10, "
                             "1,3,5; each seed is a run per model and learning rate")
    _engine_option(parser)
    parser.add_argument("--out", default="results", metavar="DIR", help="output directory")
    parser.add_argument("--reference", nargs="+", metavar="DIR",
                        help="other results directories (e.g. made with --engine faithful, or on TF 1.15) "
                             "to put beside these runs in summary.md [default: those of %s that exist]"
                        % ", ".join("OUT/" + path for path in report.DEFAULT_REFERENCES))
    parser.add_argument("--report-only", action="store_true",
                        help="only redraw the figures and summary.md from the records in --out")
    return parser


def _engine_option(parser):
    parser.add_argument("--engine", choices=ENGINES, default=DEFAULT_ENGINE,
                        help="faithful: the blog's loop, one session.run per example; exact: the "
                             "same updates in a tf.while_loop, bit-identical; fast: the loop compiled "
                             "with XLA (sums may be reordered)")


def reproduce_blog(argv=None):
    """Entry point of ``reproduce_blog.py``; returns the exit code."""
    argv = sys.argv[1:] if argv is None else argv
    options = reproduce_blog_parser().parse_args(argv)
    reference = options.reference
    if reference is None:
        reference = report.default_references(options.out)
    specs = _specs(options, options.seeds, options.engine)
    return _sweep_and_report("reproduce_blog.py", argv, options, specs,
                             lambda: report.write_report(options.out, reference))


def _sweep_and_report(script, argv, options, specs, write):
    """Train ``specs`` into ``options.out`` (unless --report-only), then ``write()`` the report.

    Returns the exit code: 1 with a one-line error for a user error.
    """
    try:
        if not options.report_only:
            _train(specs, options.out, options, script, argv)
        paths = write()
    except USER_ERRORS as error:
        return _fail(script, error)
    print("wrote " + ", ".join(paths))
    return 0


def claims_parser():
    parser = _parser(
        "claims.py",
        "Test the blog's six claims: both models at the blog's learning rates over --seeds and over a "
        "wide learning-rate grid over --grid-seeds, with per-step sparsity and gradient measurements. "
        "Writes the runs, Figures 2 and 3 (blog rates), the measurement and learning-rate figures into "
        "--out and the verdicts to --report. Finished runs are skipped.", claims.BLOG_RATES)
    parser.add_argument("--seeds", type=_seeds, default=list(range(1, 11)), metavar="SEEDS",
                        help="seeds at the blog's learning rates (--learning-rates), as a range or list")
    parser.add_argument("--grid-rates", nargs="+", type=_positive(float), default=list(claims.GRID_RATES),
                        metavar="RATE", help="the wide learning-rate grid")
    parser.add_argument("--grid-seeds", type=_seeds, default=list(range(1, 6)), metavar="SEEDS",
                        help="seeds over the grid")
    _engine_option(parser)
    parser.add_argument("--out", default="results/claims", metavar="DIR", help="directory for the runs")
    parser.add_argument("--report", default="results/claims.md", metavar="FILE", help="Markdown report")
    parser.add_argument("--report-only", action="store_true",
                        help="only redraw the figures and the report from the records in --out")
    return parser


def claims_study(argv=None):
    """Entry point of ``claims.py``; returns the exit code."""
    argv = sys.argv[1:] if argv is None else argv
    options = claims_parser().parse_args(argv)
    specs = (_specs(options, options.seeds, options.engine)
             + _specs(options, options.grid_seeds, options.engine, options.grid_rates))
    return _sweep_and_report("claims.py", argv, options, list(dict.fromkeys(specs)),
                             lambda: claims.write_claims(options.out, options.report))


def engine_equivalence_parser():
    parser = _parser(
        "engine_equivalence.py",
        "Train the same runs with two engines over several seeds and test whether their test "
        "accuracies and curves are statistically indistinguishable (paired t-test, Wilcoxon "
        "signed-rank, TOST equivalence). Runs go to --out/<engine>/, the report to --report.",
        (0.001, 0.005))
    parser.add_argument("--seeds", type=_seeds, default=list(range(1, 6)), metavar="SEEDS",
                        help="seeds, as a range or list: 1-5, 1,3,5")
    parser.add_argument("--engines", nargs=2, choices=ENGINES, default=["exact", "fast"],
                        metavar=("REFERENCE", "CANDIDATE"), help="the two engines to compare")
    parser.add_argument("--accuracy-margin", type=_positive(float), default=0.01,
                        help="equivalence margin for accuracies (TOST)")
    parser.add_argument("--log-loss-margin", type=_positive(float), default=0.05,
                        help="equivalence margin for log10 of the final training loss (TOST)")
    parser.add_argument("--out", default="results/engine_equivalence", metavar="DIR",
                        help="directory for the runs")
    parser.add_argument("--report", default="results/engine_equivalence.md", metavar="FILE",
                        help="Markdown report to write")
    return parser


def engine_equivalence(argv=None):
    """Entry point of ``engine_equivalence.py``; returns the exit code."""
    from mtneuron import stats

    argv = sys.argv[1:] if argv is None else argv
    options = engine_equivalence_parser().parse_args(argv)
    try:
        runs = []
        for engine in options.engines:
            directory = os.path.join(options.out, engine)
            _train(_specs(options, options.seeds, engine), directory, options, "engine_equivalence.py", argv)
            runs.append(records.load_records(directory))
        result = stats.engine_equivalence(*runs, accuracy_margin=options.accuracy_margin,
                                          log_loss_margin=options.log_loss_margin)
    except USER_ERRORS + (ValueError,) as error:
        return _fail("engine_equivalence.py", error)
    text = "\n".join(["# Engine equivalence: %s against %s" % tuple(reversed(options.engines)), "",
                      stats.equivalence_markdown(result), "", "## Provenance", ""]
                     + ["- " + fact for fact in report.provenance(runs[0] + runs[1])] + [""])
    files.write_text(options.report, text)
    print("%s: %s" % (options.report, result["verdict"]))
    return 0


def benchmark(argv=None):
    """Entry point of ``benchmark.py``; returns the exit code."""
    parser = Parser(prog="benchmark.py", formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                    description="Measure examples/s of the training engines side by side in one run, "
                                "one thread vs all cores vs parallel runs, and project the full "
                                "sweep's time. Prints Markdown and writes it to --out.")
    parser.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES))
    parser.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    parser.add_argument("--repeats", type=_positive(int), default=5,
                        help="timed chunks of 1,100 steps per measurement (the fastest counts)")
    parser.add_argument("--parts", nargs="+", choices=("engines", "layers"), default=["engines", "layers"],
                        help="what to measure: the training engines, the batched layers")
    parser.add_argument("--layer-batches", nargs="+", type=_positive(int), default=[1, 32, 128, 1024],
                        metavar="N", help="batch sizes for the dense layers")
    parser.add_argument("--conv-batches", nargs="+", type=_positive(int), default=[32, 128], metavar="N",
                        help="batch sizes for the convolutions")
    parser.add_argument("--data-dir", metavar="DIR", help="directory with the MNIST IDX files")
    parser.add_argument("--out", default="results/benchmarks.md", metavar="FILE",
                        help="Markdown file to write")
    options = parser.parse_args(argv)
    from mtneuron import benchmark as bench

    try:
        text = ""
        if "engines" in options.parts:
            data.mnist_files(options.data_dir)
            text += bench.run(options.engines, options.models, options.data_dir, options.repeats) + "\n"
        if "layers" in options.parts:
            text += bench.layer_report(options.layer_batches, options.conv_batches)
    except USER_ERRORS as error:
        return _fail("benchmark.py", error)
    command = " ".join(shlex.quote(word) for word in ["python", "scripts/benchmark.py"] + (
        sys.argv[1:] if argv is None else argv))
    text = "# Benchmarks\n\nCommand: `%s`\n\n%s" % (command, text)
    files.write_text(options.out, text)
    print(text)
    return 0


def _specs(options, seeds, engine, learning_rates=None):
    return sweep.expand(
        options.models, learning_rates or options.learning_rates, seeds, n_epochs=options.epochs,
        n_examples=options.examples_per_epoch,
        average_every=options.average_every or max(1, options.examples_per_epoch // 50),
        hidden_sizes=tuple(options.hidden_sizes), test_examples=options.test_examples, engine=engine)


def _train(specs, out_dir, options, script, argv):
    """Train the specs not yet complete in ``out_dir``, in parallel worker processes or Ray tasks."""
    todo, done = sweep.plan(specs, out_dir, force=options.force)
    if done:
        print("skipping %d complete run(s) in %s" % (len(done), out_dir))
    if not todo:
        return
    data.mnist_files(options.data_dir)  # fail (or download) once, before any worker starts
    jobs = min(options.jobs, len(todo))
    threads = options.threads or max(1, (os.cpu_count() or 1) // jobs)
    command = " ".join(shlex.quote(word) for word in ["python", "scripts/" + script] + argv)
    at_once = "on the Ray cluster at " + options.address if options.address else "%d at a time" % jobs
    print("training %d run(s) in %s, %s, %d TensorFlow thread(s) each (%s)"
          % (len(todo), out_dir, at_once, threads, options.backend))
    started = time.time()
    sweep.run_sweep(todo, out_dir, data_dir=options.data_dir, jobs=jobs, threads=threads,
                    progress=not options.no_progress, backend=options.backend, address=options.address,
                    extra={"command": command, "jobs": jobs, "backend": options.backend})
    print("trained %d run(s) in %.1f min" % (len(todo), (time.time() - started) / 60))


def _linearity_check(options):
    """Measure that the blog's first multi-threshold layer is linear on pixels; save it as JSON."""
    from mtneuron import minibatch

    images = data.read_data_sets(options.data_dir).test.images
    records.write_json(os.path.join(options.out, report.LINEARITY_CHECK),
                       minibatch.nonnegative_linearity(images, options.seed))


def part2_parser():
    parser = Parser(
        prog="part2.py", formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        description="Part II the blog promised: minibatch training of MLPs and CNNs with multi- or "
                    "central-threshold layers, at several batch sizes, with the blog's N(0, 1) init and a "
                    "scaled (He/Glorot) init. Writes run_*.json, learning_curves.png and summary.md into "
                    "--out; complete runs with the same settings are skipped.")
    parser.add_argument("--architectures", nargs="+", choices=ARCHITECTURES, default=list(ARCHITECTURES))
    parser.add_argument("--kinds", nargs="+", choices=MODELS, default=list(MODELS),
                        help="hidden-layer neuron models")
    parser.add_argument("--batch-sizes", nargs="+", type=_positive(int, TRAIN_SIZE), default=[1, 32, 128],
                        metavar="N")
    parser.add_argument("--inits", nargs="+", choices=INITS, default=list(INITS))
    parser.add_argument("--learning-rate", type=_positive(float), default=0.001)
    parser.add_argument("--epochs", type=_positive(int), default=2, help="epochs per run")
    parser.add_argument("--examples-per-epoch", type=_positive(int, TRAIN_SIZE), default=TRAIN_SIZE,
                        metavar="N", help="training examples per epoch (fewer for a quick run)")
    parser.add_argument("--seed", type=int, default=BLOG_SEED, help="initial weights and data order")
    parser.add_argument("--data-dir", metavar="DIR", help="directory with the MNIST IDX files")
    parser.add_argument("--out", default="results/part2", metavar="DIR", help="output directory")
    parser.add_argument("--jobs", type=_positive(int), default=os.cpu_count() or 1,
                        help="runs trained in parallel, one process each")
    parser.add_argument("--threads", type=_positive(int), metavar="N",
                        help="TensorFlow threads per run [default: cores // jobs, at least 1]")
    _backend_options(parser)
    parser.add_argument("--force", action="store_true",
                        help="overwrite records in --out made with other settings")
    parser.add_argument("--report-only", action="store_true",
                        help="only redraw the figure and summary.md from the records in --out")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    return parser


def part2(argv=None):
    """Entry point of ``part2.py``; returns the exit code."""
    argv = sys.argv[1:] if argv is None else argv
    options = part2_parser().parse_args(argv)
    # Part II has no TF 1.15 numbers to match, so it takes oneDNN's faster convolutions (unless told not
    # to); workers inherit the setting, and every record stores it.
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
    specs = [MinibatchSpec(architecture=architecture, kind=kind, batch_size=batch, init=init,
                           learning_rate=options.learning_rate, seed=options.seed, n_epochs=options.epochs,
                           n_examples=options.examples_per_epoch)
             for architecture, batch, init, kind in itertools.product(
                 options.architectures, options.batch_sizes, options.inits, options.kinds)]
    try:
        if not options.report_only:
            _train(specs, options.out, options, "part2.py", argv)
            _linearity_check(options)
        paths = report.write_part2_report(options.out)
    except USER_ERRORS as error:
        return _fail("part2.py", error)
    print("wrote " + ", ".join(paths))
    return 0


def tf_agreement_parser():
    parser = Parser(
        prog="tf_agreement.py", formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        description="Compare the faithful loop on two TensorFlows from the same seed, bit for bit: data "
                    "order, initial weights, the first example's forward pass and gradients, and the "
                    "parameters after 1, 10 and 1,100 steps. Takes a snapshot under this interpreter and "
                    "under --python (e.g. a Python 3.7 venv with TensorFlow 1.15), then writes --out "
                    "(Markdown) and the same numbers as JSON beside it.")
    parser.add_argument("--python", required=True, metavar="INTERPRETER",
                        help="the other interpreter, with mtneuron installed (e.g. .venv37/bin/python)")
    parser.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    parser.add_argument("--seed", type=int, default=BLOG_SEED, help="initial weights and data order")
    parser.add_argument("--data-dir", metavar="DIR", help="directory with the MNIST IDX files")
    parser.add_argument("--out", default="results/tf_agreement.md", metavar="FILE", help="Markdown report")
    return parser


def tf_agreement(argv=None):
    """Entry point of ``tf_agreement.py``; returns the exit code."""
    argv = sys.argv[1:] if argv is None else argv
    options = tf_agreement_parser().parse_args(argv)
    try:
        data.mnist_files(options.data_dir)
        started = time.time()
        with tempfile.TemporaryDirectory() as scratch:
            snapshots = [agreement.snapshot_under(python, os.path.join(scratch, "%d.npz" % index),
                                                  options.data_dir, options.seed, options.models)
                         for index, python in enumerate((options.python, sys.executable))]
        result = agreement.compare(*snapshots)  # the other interpreter's TensorFlow is the reference
    except USER_ERRORS as error:
        return _fail("tf_agreement.py", error)
    command = " ".join(shlex.quote(word) for word in ["python", "scripts/tf_agreement.py"] + argv)
    wall_time = time.time() - started
    files.write_text(options.out, agreement.markdown(result, command, wall_time))
    records.write_json(os.path.splitext(options.out)[0] + ".json",
                       dict(result, command=command, wall_time_s=wall_time))
    for model, outcome in result["models"].items():
        print("%s: %s" % (model, agreement.verdict(outcome)))
    print("wrote " + options.out)
    return 0
