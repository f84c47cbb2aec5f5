"""Command-line front ends. Every training command reads the same: parse, build specs, sweep, report.

Bad input ends in one line naming the fix: exit code 2 for options, paths and records that cannot
be used, 1 for a run that failed. Option groups are shared between the parsers, not copied.
"""

import argparse
import collections
import math
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time

from mtneuron import agreement, blog, claims, data, files, records, report, sweep
from mtneuron.data import DataError
from mtneuron.records import RecordError
from mtneuron.sweep import RunError

USAGE_ERRORS = (DataError, RecordError, ImportError)  # exit code 2: input that cannot be used
RUN_ERRORS = (RunError, OSError)  # exit code 1: a run or a write that failed

Sweep = collections.namedtuple("Sweep", ["out_dir", "specs", "train"])
Sweep.__doc__ = """Runs to train into one output directory, with the trainer callable that trains them."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (and exit code 2)."""

    def __init__(self, prog, description):
        super().__init__(prog=prog, description=description,
                         formatter_class=argparse.ArgumentDefaultsHelpFormatter)

    def error(self, message):
        self.exit(2, "%s: error: %s (see --help)\n" % (self.prog, message))

    def parse_args(self, args=None, namespace=None):
        """Parse, then check the options that constrain each other."""
        options = super().parse_args(args, namespace)
        if getattr(options, "address", None) and options.backend != "ray":
            self.error("--address needs --backend ray")
        every = getattr(options, "average_every", None)
        if every and every > options.epochs * options.examples_per_epoch:
            self.error("--average-every %d is more than the %d examples of a run: no curve point would be "
                       "recorded" % (every, options.epochs * options.examples_per_epoch))
        return options


# ---- option types: each refuses what cannot be used, in one line


def _number(kind, maximum=None):
    """A finite number > 0 (at most ``maximum``), parsed with ``kind``."""
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError("%r is not a%s %s" % (
                text, "n" if kind is int else "", "integer" if kind is int else "number")) from None
        if not (math.isfinite(value) and value > 0):
            raise argparse.ArgumentTypeError("%s must be a finite number > 0" % text)
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError("%s must be <= %d" % (text, maximum))
        return value
    return parse


SEED_LIMIT = 2 ** 31 - 1  # TensorFlow's and numpy's seeds are 32-bit


def _seed(text):
    """One seed: an integer from 0 to 2**31 - 1."""
    if not re.fullmatch(r"\d+", text.strip()) or int(text) > SEED_LIMIT:
        raise argparse.ArgumentTypeError("%r is not a seed: pass an integer from 0 to %d"
                                         % (text, SEED_LIMIT))
    return int(text)


def _seeds(text):
    """Seeds as ``1-10``, ``1,3,5`` or a mix such as ``1-3,7``."""
    seeds = []
    for part in text.split(","):
        match = re.fullmatch(r"(\d+)(?:-(\d+))?", part.strip())
        if match is None:
            raise argparse.ArgumentTypeError("%r is not a list or range of seeds such as 1-5 or 1,3,5" % text)
        seeds += range(_seed(match.group(1)), _seed(match.group(2) or match.group(1)) + 1)
    if not seeds:
        raise argparse.ArgumentTypeError("%r names no seed (a range runs upwards: 1-5)" % text)
    return seeds


def _writable_place(path):
    """Refuse ``path`` unless it can be written: an existing file we may replace, or a place whose
    nearest existing ancestor is a writable directory (a result is written beside it, then renamed)."""
    place = os.path.abspath(path)
    ancestor = os.path.dirname(place) if os.path.isfile(place) else place
    while not os.path.exists(ancestor):
        ancestor = os.path.dirname(ancestor)
    if not os.path.isdir(ancestor):
        raise argparse.ArgumentTypeError("%s is inside %s, which is a file: pass a path in a directory"
                                         % (path, ancestor))
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError("cannot write to %s (permission denied): pass a path you can write"
                                         % ancestor)


def _output_dir(text):
    """A directory to write results into: absent (it is created) or a writable directory."""
    if os.path.exists(text) and not os.path.isdir(text):
        raise argparse.ArgumentTypeError("%s is a file: pass a directory" % text)
    _writable_place(text)
    return text


def _output_file(text):
    """A file to write: absent or a writable file, never a directory."""
    if os.path.isdir(text):
        raise argparse.ArgumentTypeError("%s is a directory: pass a file name" % text)
    _writable_place(text)
    return text


def _input_dir(text):
    """A directory that exists."""
    if not os.path.isdir(text):
        raise argparse.ArgumentTypeError("%s is %s: pass an existing directory" % (
            text, "a file" if os.path.exists(text) else "missing"))
    return text


def _interpreter(text):
    """A Python interpreter that exists and can be executed."""
    if not (os.path.isfile(text) and os.access(text, os.X_OK)):
        raise argparse.ArgumentTypeError("%s is not an executable file: pass a Python interpreter, e.g. "
                                         ".venv37/bin/python" % text)
    return text


# ---- option groups, shared between the parsers


def _run_options(parser, learning_rates):
    """What a blog run is: learning rates, models, epochs, examples, curve points, sizes."""
    group = parser.add_argument_group("runs")
    group.add_argument("--learning-rates", nargs="+", type=_number(float), default=list(learning_rates),
                       metavar="RATE", help="learning rates to sweep")
    group.add_argument("--models", nargs="+", choices=blog.MODELS, default=list(blog.MODELS),
                       help="neuron models to train")
    group.add_argument("--epochs", type=_number(int), default=blog.EPOCHS, help="epochs per run")
    _examples_option(group)
    group.add_argument("--average-every", type=_number(int), metavar="N",
                       help="examples per point of the curves [default: examples per epoch // %d, %d as in "
                            "the blog]" % (blog.POINTS_PER_EPOCH, blog.AVERAGE_EVERY))
    group.add_argument("--test-examples", type=_number(int, blog.TEST_EXAMPLES), default=blog.TEST_EXAMPLES,
                       metavar="N", help="test examples to evaluate (the first N)")
    group.add_argument("--hidden-sizes", nargs="+", type=_number(int), default=list(blog.HIDDEN_SIZES),
                       metavar="UNITS", help="units per hidden layer")


def _examples_option(group):
    group.add_argument("--examples-per-epoch", type=_number(int, blog.TRAIN_EXAMPLES),
                       default=blog.TRAIN_EXAMPLES, metavar="N",
                       help="training examples per epoch (fewer for a quick run)")


def _engine_option(parser):
    parser.add_argument("--engine", choices=blog.ENGINES, default=blog.DEFAULT_ENGINE,
                        help="faithful: the blog's loop, one session.run per example; exact: the "
                             "same updates in a tf.while_loop, bit-identical; fast: the loop compiled "
                             "with XLA (sums may be reordered)")


def _data_option(parser):
    parser.add_argument("--data-dir", type=_input_dir, metavar="DIR",
                        help="directory with the MNIST IDX files (.gz or raw) [default: $%s, else a user "
                             "cache filled by download]" % data.DATA_ENV)


def _sweep_options(parser):
    """Where and how runs execute; what to do with records already there."""
    group = parser.add_argument_group("sweep")
    group.add_argument("--jobs", type=_number(int), default=os.cpu_count() or 1,
                       help="runs trained in parallel, one process each")
    group.add_argument("--threads", type=_number(int), metavar="N",
                       help="TensorFlow threads per run [default: cores // jobs, at least 1]")
    group.add_argument("--backend", choices=("processes", "ray"), default="processes",
                       help="where runs execute: local worker processes, or Ray tasks (needs "
                            "pip install 'mtneuron[ray]'); the records are the same")
    group.add_argument("--address", metavar="ADDRESS",
                       help="with --backend ray, the Ray cluster to run on (auto, ray://host:10001), each "
                            "run a task of --threads CPUs; its nodes must share --out and --data-dir "
                            "[default: a local Ray instance of --jobs x --threads CPUs]")
    group.add_argument("--force", action="store_true",
                       help="train every run afresh, overwriting the records in the output directory "
                            "(also those made with other settings or unreadable)")
    group.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    _data_option(group)


def _outputs(parser, out, report_file=None, what="the records in --out"):
    """``--out`` (a directory), ``--report`` (a file) if the command writes one, ``--report-only``."""
    parser.add_argument("--out", type=_output_dir, default=out, metavar="DIR", help="directory for the runs")
    if report_file is not None:
        _report_file(parser, "--report", report_file)
    parser.add_argument("--report-only", action="store_true",
                        help="train nothing: only redraw the figures and the report from " + what)


def _report_file(parser, option, default):
    """The Markdown report a command writes (a file, never a directory)."""
    parser.add_argument(option, type=_output_file, default=default, metavar="FILE",
                        help="Markdown report to write")


# ---- the one flow of every training command


def _study(script, parser, argv, sweeps, write):
    """Parse ``argv``; train the ``sweeps(options)`` unless --report-only; ``write(options)`` the report,
    which returns the lines to print. Returns the exit code."""
    def study(options, argv):
        for planned in ([] if options.report_only else sweeps(options)):
            _train(planned, options, script, argv)
        return write(options)

    return _command_line(script, parser, argv, study)


def _command_line(script, parser, argv, action):
    """Parse ``argv`` (the process's arguments when None) and run ``action(options, argv)``, guarded."""
    argv = sys.argv[1:] if argv is None else argv
    options = parser.parse_args(argv)
    return _guarded(script, lambda: action(options, argv))


def _guarded(script, action):
    """Run ``action()`` and print the lines it returns; a user error ends in one line and its exit code."""
    try:
        lines = action()
    except USAGE_ERRORS as error:
        return _fail(script, error, 2)
    except RUN_ERRORS as error:
        return _fail(script, error, 1)
    try:
        print("\n".join(lines))
    except BrokenPipeError:  # the reader left (``| head``): the work is done, say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def _fail(script, error, code):
    """Report a user-facing error in one line on stderr; return ``code``."""
    print("%s: error: %s" % (script, error), file=sys.stderr)
    return code


def _train(planned, options, script, argv):
    """Train the specs of ``planned`` not yet complete in its directory, in worker processes or Ray tasks."""
    todo, done = sweep.plan(planned.specs, planned.out_dir, force=options.force)
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
                    extra={"command": _command(script, argv), "jobs": jobs, "backend": options.backend})
    print("trained %d run(s) in %.1f min" % (len(todo), (time.time() - started) / 60))


def _skipping(names, out_dir):
    """The line for the complete runs ``names``: the committed reference runs when git tracks them."""
    what = "trained before with these settings"
    if _tracked(out_dir, names):
        what = "the committed reference runs"
    return ("skipping %d complete run(s) in %s (%s): to train afresh pass --force (overwrites them) or "
            "--out DIR (a new directory)" % (len(names), out_dir, what))


def _part2():
    from mtneuron import part2  # imports no TensorFlow at module level either; imported when needed

    return part2


def _tracked(directory, names):
    """Whether git tracks every file ``names`` in ``directory`` (False outside a git checkout)."""
    try:
        listed = subprocess.run(["git", "ls-files", "--"] + names, cwd=directory, capture_output=True,
                                text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return listed.returncode == 0 and len(listed.stdout.split()) == len(names)


def _command(script, argv):
    return " ".join(shlex.quote(word) for word in ["python", "scripts/" + script] + list(argv))


def _blog_specs(options, seeds, engine, learning_rates=None):
    """One ``RunSpec`` per seed, learning rate and model, with the run options of ``options``."""
    return sweep.expand(
        options.models, learning_rates or options.learning_rates, seeds, n_epochs=options.epochs,
        n_examples=options.examples_per_epoch,
        average_every=options.average_every or max(1, options.examples_per_epoch // blog.POINTS_PER_EPOCH),
        hidden_sizes=tuple(options.hidden_sizes), test_examples=options.test_examples, engine=engine)


def train_blog_run(spec, datasets, context):
    """``training.train``, imported where it runs: the sweep's parent process needs no TensorFlow."""
    from mtneuron import training

    return training.train(spec, datasets, context)


# ---- the commands


def reproduce_blog_parser():
    parser = Parser("reproduce_blog.py", (
        "Re-run the blog's experiment: central- vs multi-threshold networks (784-251-87-10, batch size 1, "
        "Adam) at several learning rates. Writes run_{model}_{rate}.json per run, Figures 2 and 3 and "
        "summary.md into --out. Runs already complete with the same settings are skipped, so a killed "
        "sweep resumes where it stopped."))
    _run_options(parser, blog.LEARNING_RATES)
    parser.add_argument("--seeds", type=_seeds, default=[blog.SEED], metavar="SEEDS",
                        help="graph (initial weights) and data-order seeds, as a range or list: 1-10, 1,3,5; "
                             "each seed is a run per model and learning rate")
    _engine_option(parser)
    _sweep_options(parser)
    _outputs(parser, "results")
    parser.add_argument("--reference", nargs="+", type=_input_dir, metavar="DIR",
                        help="other results directories (e.g. made with --engine faithful, or on TF 1.15) to "
                             "put beside these runs in summary.md [default: those of %s that exist]"
                        % ", ".join("OUT/" + path for path in report.DEFAULT_REFERENCES))
    return parser


def reproduce_blog(argv=None):
    """Entry point of ``reproduce_blog.py``; returns the exit code."""
    def write(options):
        references = options.reference or report.default_references(options.out)
        return ["wrote " + ", ".join(report.write_report(options.out, references))]

    return _study("reproduce_blog.py", reproduce_blog_parser(), argv, lambda options: [
        Sweep(options.out, _blog_specs(options, options.seeds, options.engine), train_blog_run)], write)


def claims_parser():
    parser = Parser("claims.py", (
        "Test the blog's six claims: both models at the blog's learning rates over --seeds and over a wide "
        "learning-rate grid over --grid-seeds, with per-step sparsity and gradient measurements. Writes the "
        "runs, Figures 2 and 3 (blog rates), the measurement and learning-rate figures into --out and the "
        "verdicts to --report. Finished runs are skipped."))
    _run_options(parser, blog.LEARNING_RATES)
    parser.add_argument("--seeds", type=_seeds, default=list(range(1, 11)), metavar="SEEDS",
                        help="seeds at the blog's learning rates (--learning-rates), as a range or list")
    parser.add_argument("--grid-rates", nargs="+", type=_number(float), default=list(claims.GRID_RATES),
                        metavar="RATE", help="the wide learning-rate grid")
    parser.add_argument("--grid-seeds", type=_seeds, default=list(range(1, 6)), metavar="SEEDS",
                        help="seeds over the grid")
    _engine_option(parser)
    _sweep_options(parser)
    _outputs(parser, "results/claims", "results/claims.md")
    return parser


def claims_study(argv=None):
    """Entry point of ``claims.py``; returns the exit code."""
    def sweeps(options):
        specs = (_blog_specs(options, options.seeds, options.engine)
                 + _blog_specs(options, options.grid_seeds, options.engine, options.grid_rates))
        return [Sweep(options.out, list(dict.fromkeys(specs)), train_blog_run)]

    return _study("claims.py", claims_parser(), argv, sweeps, lambda options: [
        "wrote " + ", ".join(claims.write_claims(options.out, options.report))])


def engine_equivalence_parser():
    parser = Parser("engine_equivalence.py", (
        "Train the same runs with two engines over several seeds and test whether their test accuracies and "
        "curves are statistically indistinguishable (paired t-test, Wilcoxon signed-rank, TOST equivalence). "
        "Runs go to --out/<engine>/, the report to --report."))
    _run_options(parser, (0.001, 0.005))
    parser.add_argument("--seeds", type=_seeds, default=list(range(1, 6)), metavar="SEEDS",
                        help="seeds, as a range or list: 1-5, 1,3,5")
    parser.add_argument("--engines", nargs=2, choices=blog.ENGINES, default=["exact", "fast"],
                        metavar=("REFERENCE", "CANDIDATE"), help="the two engines to compare")
    parser.add_argument("--accuracy-margin", type=_number(float), default=0.01,
                        help="equivalence margin for accuracies (TOST)")
    parser.add_argument("--log-loss-margin", type=_number(float), default=0.05,
                        help="equivalence margin for log10 of the final training loss (TOST)")
    _sweep_options(parser)
    _outputs(parser, "results/engine_equivalence", "results/engine_equivalence.md",
             "the records in --out/<engine>/")
    return parser


def engine_equivalence(argv=None):
    """Entry point of ``engine_equivalence.py``; returns the exit code."""
    from mtneuron import equivalence

    def sweeps(options):
        return [Sweep(os.path.join(options.out, engine), _blog_specs(options, options.seeds, engine),
                      train_blog_run)
                for engine in options.engines]

    def write(options):
        runs = [records.load_records(os.path.join(options.out, engine)) for engine in options.engines]
        try:
            result = equivalence.write_report(*runs, options.report, options.engines,
                                              options.accuracy_margin, options.log_loss_margin)
        except ValueError as error:  # runs that cannot be paired
            raise RecordError(str(error)) from None
        return ["%s: %s" % (options.report, result["verdict"])]

    return _study("engine_equivalence.py", engine_equivalence_parser(), argv, sweeps, write)


def part2_parser():
    parser = Parser("part2.py", (
        "Part II the blog promised: minibatch training of MLPs and CNNs with multi- or central-threshold "
        "layers, at several batch sizes, with the blog's N(0, 1) init and a scaled (He/Glorot) init. Writes "
        "run_*.json, learning_curves.png and summary.md into --out; complete runs with the same settings are "
        "skipped."))
    part2 = _part2()
    parser.add_argument("--architectures", nargs="+", choices=part2.ARCHITECTURES,
                        default=list(part2.ARCHITECTURES))
    parser.add_argument("--kinds", nargs="+", choices=blog.MODELS, default=list(blog.MODELS),
                        help="hidden-layer neuron models")
    parser.add_argument("--batch-sizes", nargs="+", type=_number(int, blog.TRAIN_EXAMPLES),
                        default=list(part2.BATCH_SIZES), metavar="N")
    parser.add_argument("--inits", nargs="+", choices=part2.INITS, default=list(part2.INITS))
    parser.add_argument("--learning-rate", type=_number(float), default=blog.LEARNING_RATE)
    parser.add_argument("--epochs", type=_number(int), default=part2.EPOCHS, help="epochs per run")
    _examples_option(parser)
    parser.add_argument("--seed", type=_seed, default=blog.SEED, help="initial weights and data order")
    _sweep_options(parser)
    _outputs(parser, "results/part2")
    return parser


def part2(argv=None):
    """Entry point of ``part2.py``; returns the exit code."""
    study = _part2()

    def sweeps(options):
        study.prefer_onednn()  # before the workers start: they inherit it, and every record stores it
        return [Sweep(options.out, study.specs(
            options.architectures, options.kinds, options.batch_sizes, options.inits, options.learning_rate,
            options.seed, options.epochs, options.examples_per_epoch), study.train)]

    def write(options):
        if not options.report_only:
            study.write_linearity_check(options.data_dir, options.out, options.seed)
        return ["wrote " + ", ".join(study.write_report(options.out))]

    return _study("part2.py", part2_parser(), argv, sweeps, write)


def benchmark_parser():
    parser = Parser("benchmark.py", (
        "Measure examples/s of the training engines side by side in one run, one thread vs all cores vs "
        "parallel runs, and project the full sweep's time; and the batched layers against dense layers. "
        "Prints Markdown and writes it to --out."))
    parser.add_argument("--engines", nargs="+", choices=blog.ENGINES, default=list(blog.ENGINES))
    parser.add_argument("--models", nargs="+", choices=blog.MODELS, default=list(blog.MODELS))
    parser.add_argument("--repeats", type=_number(int), default=5,
                        help="timed chunks of 1,100 steps per measurement (the fastest counts)")
    parser.add_argument("--parts", nargs="+", choices=("engines", "layers"), default=["engines", "layers"],
                        help="what to measure: the training engines, the batched layers")
    parser.add_argument("--layer-batches", nargs="+", type=_number(int, 65536), default=[1, 32, 128, 1024],
                        metavar="N", help="batch sizes for the dense layers")
    parser.add_argument("--conv-batches", nargs="+", type=_number(int, 4096), default=[32, 128], metavar="N",
                        help="batch sizes for the convolutions")
    _data_option(parser)
    _report_file(parser, "--out", "results/benchmarks.md")
    return parser


def benchmark(argv=None):
    """Entry point of ``benchmark.py``; returns the exit code."""
    return _command_line("benchmark.py", benchmark_parser(), argv, _measure)


def _measure(options, argv):
    """The benchmark's Markdown, printed and written to --out."""
    from mtneuron import benchmark as bench

    text = ""
    if "engines" in options.parts:
        data.mnist_files(options.data_dir)
        text += bench.run(options.engines, options.models, options.data_dir, options.repeats) + "\n"
    if "layers" in options.parts:
        text += bench.layer_report(options.layer_batches, options.conv_batches)
    text = "# Benchmarks\n\nCommand: `%s`\n\n%s" % (_command("benchmark.py", argv), text)
    files.write_text(options.out, text)
    return [text]


def tf_agreement_parser():
    parser = Parser("tf_agreement.py", (
        "Compare the faithful loop on two TensorFlows from the same seed, bit for bit: data order, initial "
        "weights, the first example's forward pass and gradients, and the parameters after 1, 10 and 1,100 "
        "steps. Takes a snapshot under this interpreter and under --python (e.g. a Python 3.7 venv with "
        "TensorFlow 1.15), then writes --out (Markdown) and the same numbers as JSON beside it."))
    parser.add_argument("--python", required=True, type=_interpreter, metavar="INTERPRETER",
                        help="the other interpreter, with mtneuron installed (e.g. .venv37/bin/python)")
    parser.add_argument("--models", nargs="+", choices=blog.MODELS, default=list(blog.MODELS))
    parser.add_argument("--seed", type=_seed, default=blog.SEED, help="initial weights and data order")
    _data_option(parser)
    _report_file(parser, "--out", "results/tf_agreement.md")
    return parser


def tf_agreement(argv=None):
    """Entry point of ``tf_agreement.py``; returns the exit code."""
    return _command_line("tf_agreement.py", tf_agreement_parser(), argv, _compare_tensorflows)


def _compare_tensorflows(options, argv):
    """Snapshots under --python and this interpreter, compared; the report written to --out."""
    data.mnist_files(options.data_dir)
    started = time.time()
    with tempfile.TemporaryDirectory() as scratch:
        snapshots = [agreement.snapshot_under(python, os.path.join(scratch, "%d.npz" % index),
                                              options.data_dir, options.seed, options.models)
                     for index, python in enumerate((options.python, sys.executable))]
    result = agreement.compare(*snapshots)  # the other interpreter's TensorFlow is the reference
    command, wall_time = _command("tf_agreement.py", argv), time.time() - started
    files.write_text(options.out, agreement.markdown(result, command, wall_time))
    records.write_json(os.path.splitext(options.out)[0] + ".json",
                       dict(result, command=command, wall_time_s=wall_time))
    verdicts = ["%s: %s" % (model, agreement.verdict(outcome)) for model, outcome in result["models"].items()]
    return verdicts + ["wrote " + options.out]
