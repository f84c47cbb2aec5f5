"""The commands. Every training command reads the same: parse, build specs, sweep, write the report.

Bad input ends in one line naming the fix: exit code 2 for options, paths and records that cannot
be used (the option types and shared groups are in ``arguments``), 1 for a run or write that failed.
"""

import argparse
import collections
import gc
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback

from mtneuron import blog, data
from mtneuron.cli import arguments
from mtneuron.data import DataError
from mtneuron.run import files, hparams, interpreter, records, sweep
from mtneuron.run.records import RecordError
from mtneuron.run.sweep import RunError
from mtneuron.studies import agreement, claims, report
from mtneuron.studies import compare as compare_study
from mtneuron.studies import part2 as part2_study
from mtneuron.train import minibatch

USAGE_ERRORS = (DataError, RecordError, ImportError)  # exit code 2: input that cannot be used
RUN_ERRORS = (RunError, OSError)  # exit code 1: a run or a write that failed

Sweep = collections.namedtuple("Sweep", ["out_dir", "specs", "train"])
Sweep.__doc__ = """Runs to train into one output directory, with the trainer callable that trains them."""

# ---- the one flow of every training command


def _study(script, parser, argv, sweeps, write):
    """Parse ``argv``; train the ``sweeps(options)`` unless --report-only; ``write(options)`` the report,
    which returns the lines to print. Returns the exit code."""
    def study(options, argv):
        for planned in ([] if options.report_only else sweeps(options)):
            _train(planned, options)
        return _earlier_sessions(options.out) + write(options)

    return _command_line(script, parser, argv, study)


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


def _command_line(script, parser, argv, action):
    """Parse ``argv`` (the process's arguments when None) and run ``action(options, argv)``, guarded."""
    argv = sys.argv[1:] if argv is None else argv
    options = parser.parse_args(argv)
    options.command = _command(script, argv)  # what the records and reports say was run
    return _guarded(script, lambda: action(options, argv))


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
                    extra={"command": options.command, "jobs": jobs, "backend": options.backend})
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


def _blog_specs(options, seeds, engine, learning_rates=None):
    """One ``RunSpec`` per seed, learning rate and model, with the run options of ``options``."""
    return sweep.expand(
        options.models, learning_rates or options.learning_rates, seeds, n_epochs=options.epochs,
        n_examples=options.examples_per_epoch,
        average_every=options.average_every or max(1, options.examples_per_epoch // blog.POINTS_PER_EPOCH),
        hidden_sizes=tuple(options.hidden_sizes), test_examples=options.test_examples, engine=engine,
        measure=options.measure)


def train_blog_run(spec, datasets, context):
    """``training.train``, imported where it runs: the sweep's parent process needs no TensorFlow."""
    from mtneuron.train import training

    return training.train(spec, datasets, context)


# ---- the commands


def reproduce_blog_parser(prog="reproduce_blog.py"):
    parser = arguments.Parser(prog, (
        "Re-run the blog's experiment: central- vs multi-threshold networks (784-251-87-10, batch size 1, "
        "Adam) at several learning rates. Writes run_{model}_{rate}.json per run, Figures 2 and 3 and "
        "summary.md into --out. Runs already complete with the same settings are skipped, so a killed "
        "sweep resumes where it stopped."))
    arguments.run_options(parser, blog.LEARNING_RATES)
    arguments.seeds_option(parser, "--seeds", [blog.SEED], "graph (initial weights) and data-order seeds; "
                           "each seed is a run per model and learning rate")
    arguments.engine_option(parser)
    arguments.measure_option(parser, False)
    arguments.sweep_options(parser)
    arguments.outputs(parser, "results")
    parser.add_argument("--reference", nargs="+", type=arguments.input_dir, metavar="DIR",
                        help="other results directories (e.g. made with --engine faithful, or on TF 1.15) to "
                             "put beside these runs in summary.md [default: those of %s that exist]"
                        % ", ".join("OUT/" + path for path in report.DEFAULT_REFERENCES))
    return parser


def reproduce_blog(argv=None, prog="reproduce_blog.py"):
    """Entry point of ``reproduce_blog.py``; returns the exit code."""
    def write(options):
        references = options.reference or report.default_references(options.out)
        return ["wrote " + ", ".join(report.write_report(options.out, references))]

    return _study(prog, reproduce_blog_parser(prog), argv, lambda options: [
        Sweep(options.out, _blog_specs(options, options.seeds, options.engine), train_blog_run)], write)


def claims_parser(prog="claims.py"):
    parser = arguments.Parser(prog, (
        "Test the blog's six claims: both models at the blog's learning rates over --seeds and over a wide "
        "learning-rate grid over --grid-seeds, with per-step sparsity and gradient measurements. Writes the "
        "runs, Figures 2 and 3 (blog rates), the measurement and learning-rate figures into --out and the "
        "verdicts to --report. Finished runs are skipped."))
    arguments.run_options(parser, blog.LEARNING_RATES)
    arguments.seeds_option(parser, "--seeds", list(range(1, 11)), "seeds at the blog's learning rates "
                           "(--learning-rates)")
    parser.add_argument("--grid-rates", nargs="+", type=arguments.number(float),
                        default=list(claims.GRID_RATES),
                        metavar="RATE", help="the wide learning-rate grid")
    arguments.seeds_option(parser, "--grid-seeds", list(range(1, 6)), "seeds over the grid")
    arguments.engine_option(parser)
    arguments.measure_option(parser, True)
    arguments.sweep_options(parser)
    parser.add_argument("--comparison", type=arguments.input_dir, metavar="DIR",
                        help="the comparison study's records (compare.py --out DIR), for claims C7-C9")
    arguments.outputs(parser, "results/claims", "results/claims.md")
    return parser


def claims_study(argv=None, prog="claims.py"):
    """Entry point of ``claims.py``; returns the exit code."""
    def sweeps(options):
        specs = (_blog_specs(options, options.seeds, options.engine)
                 + _blog_specs(options, options.grid_seeds, options.engine, options.grid_rates))
        return [Sweep(options.out, list(dict.fromkeys(specs)), train_blog_run)]

    def write(options):
        return ["wrote " + ", ".join(claims.write_claims(options.out, options.report, options.comparison))]

    return _study(prog, claims_parser(prog), argv, sweeps, write)


def engine_equivalence_parser(prog="engine_equivalence.py"):
    parser = arguments.Parser(prog, (
        "Train the same runs with two engines over several seeds and test whether their test accuracies and "
        "curves are statistically indistinguishable (paired t-test, Wilcoxon signed-rank, TOST equivalence). "
        "Runs go to --out/<engine>/, the report to --report."))
    arguments.run_options(parser, (0.001, 0.005))
    arguments.seeds_option(parser, "--seeds", list(range(1, 6)), "seeds")
    parser.add_argument("--engines", nargs=2, choices=blog.ENGINES, default=["exact", "fast"],
                        metavar=("REFERENCE", "CANDIDATE"), help="the two engines to compare")
    parser.add_argument("--accuracy-margin", type=arguments.number(float), default=0.01,
                        help="equivalence margin for accuracies (TOST)")
    parser.add_argument("--log-loss-margin", type=arguments.number(float), default=0.05,
                        help="equivalence margin for log10 of the final training loss (TOST)")
    parser.add_argument("--collapsed-below", type=arguments.number(float, 1), default=report.FAILED,
                        help="leave out cells where both engines' mean test accuracy is below this (both "
                             "fail there)")
    arguments.measure_option(parser, True)
    arguments.sweep_options(parser)
    arguments.outputs(parser, "results/engine_equivalence", "results/engine_equivalence.md",
             "the records in --out/<engine>/")
    return parser


def engine_equivalence(argv=None, prog="engine_equivalence.py"):
    """Entry point of ``engine_equivalence.py``; returns the exit code."""
    from mtneuron.studies import equivalence

    def sweeps(options):
        return [Sweep(os.path.join(options.out, engine), _blog_specs(options, options.seeds, engine),
                      train_blog_run)
                for engine in options.engines]

    def write(options):
        runs = [records.load_records(os.path.join(options.out, engine)) for engine in options.engines]
        try:
            result = equivalence.write_report(*runs, options.report, options.engines,
                                              options.accuracy_margin, options.log_loss_margin,
                                              options.collapsed_below)
        except ValueError as error:  # runs that cannot be paired
            raise RecordError(str(error)) from None
        return ["%s: %s" % (options.report, result["verdict"])]

    return _study(prog, engine_equivalence_parser(prog), argv, sweeps, write)


def part2_parser(prog="part2.py"):
    parser = arguments.Parser(prog, (
        "Part II the blog promised: minibatch training of MLPs and CNNs with multi- or central-threshold "
        "layers, at several batch sizes, with the blog's N(0, 1) init and a scaled (He/Glorot) init. Writes "
        "run_*.json, learning_curves.png and summary.md into --out; complete runs with the same settings are "
        "skipped."))
    parser.add_argument("--architectures", nargs="+", choices=part2_study.ARCHITECTURES,
                        default=list(part2_study.ARCHITECTURES))
    parser.add_argument("--kinds", nargs="+", choices=blog.MODELS, default=list(blog.MODELS),
                        help="hidden-layer neuron models")
    parser.add_argument("--batch-sizes", nargs="+", type=arguments.number(int, blog.TRAIN_EXAMPLES),
                        default=list(part2_study.BATCH_SIZES), metavar="N")
    parser.add_argument("--inits", nargs="+", choices=part2_study.INITS, default=list(part2_study.INITS))
    parser.add_argument("--learning-rate", type=arguments.number(float), default=blog.LEARNING_RATE)
    parser.add_argument("--epochs", type=arguments.number(int), default=part2_study.EPOCHS,
                        help="epochs per run")
    arguments.examples_option(parser)
    arguments.seed_option(parser)
    arguments.sweep_options(parser)
    arguments.outputs(parser, "results/part2")
    return parser


def part2(argv=None, prog="part2.py"):
    """Entry point of ``part2.py``; returns the exit code."""
    study = part2_study

    def sweeps(options):
        minibatch.prefer_onednn()  # before the workers start: they inherit it, and every record stores it
        return [Sweep(options.out, study.specs(
            options.architectures, options.kinds, options.batch_sizes, options.inits, options.learning_rate,
            options.seed, options.epochs, options.examples_per_epoch), minibatch.train)]

    def write(options):
        if not options.report_only:
            study.write_linearity_check(options.data_dir, options.out, options.seed)
        return ["wrote " + ", ".join(study.write_report(options.out))]

    return _study(prog, part2_parser(prog), argv, sweeps, write)


def compare_parser(prog="compare.py"):
    study = compare_study
    parser = arguments.Parser(prog, (
        "Is the multi-threshold neuron any good? Every cell (data set, network, hidden neuron, init, batch "
        "size) picks its learning rate on the validation set from a log grid (one run per rate, on the "
        "search's own seed), then trains it with every final seed and scores the test set; every run stops "
        "early on validation. Multi- against central-threshold MLPs and CNNs, the paper's neuron and the "
        "blog's approximations of it one at a time, controls, softmax regression; on MNIST and MNIST-1D. "
        "Writes run_*.json, init_check.json, summary.md and figures into --out; complete runs are skipped."))
    parser.add_argument("--groups", nargs="+", choices=study.GROUPS, default=list(study.GROUPS),
                        help="what to train: central against multi MLPs, the paper's neuron and the blog's "
                             "approximations, the controls, the CNNs, the linear baseline")
    parser.add_argument("--datasets", nargs="+", choices=study.DATASETS, default=list(study.DATASETS))
    parser.add_argument("--batch-sizes", nargs="+", type=arguments.number(int, blog.TRAIN_EXAMPLES),
                        default=list(study.BATCH_SIZES), metavar="N")
    parser.add_argument("--learning-rates", nargs="+", type=arguments.number(float),
                        default=list(study.RATES), metavar="RATE", help="the grid each cell searches")
    parser.add_argument("--extensions", type=arguments.count(10), default=study.EXTENSIONS,
                        metavar="N", help="rates searched past an end of the grid (the next of 1, 3, 10, "
                                          "30, ... x 10^k) while a cell's best rate lies on that end")
    parser.add_argument("--seeds", type=_final_seeds, default=list(study.SEEDS), metavar="SEEDS",
                        help="final seeds of each chosen rate, as a range or list: 1-10, 1,3,5, 1-3,7 (the "
                             "search has its own, %d)" % study.SEARCH_SEED)
    for dataset in study.DATASETS:
        parser.add_argument("--%s-max-epochs" % dataset, type=arguments.number(int),
                            default=study.MAX_EPOCHS[dataset], help="the most epochs of a %s run" % dataset)
        parser.add_argument("--%s-patience" % dataset, type=arguments.number(int),
                            default=study.PATIENCE[dataset],
                            help="epochs without a better validation accuracy before a %s run stops"
                                 % dataset)
    arguments.examples_option(parser)
    arguments.sweep_options(parser)
    arguments.outputs(parser, "results/compare")
    return parser


def _final_seeds(text):
    """``arguments.seeds``, refusing the comparison's search seed (a final seed is never a search's)."""
    chosen = arguments.seeds(text)
    if compare_study.SEARCH_SEED in chosen:
        raise argparse.ArgumentTypeError("seed %d is the learning-rate search's own: choose final seeds "
                                         "without it (e.g. 1-5)" % compare_study.SEARCH_SEED)
    return chosen


def compare(argv=None, prog="compare.py"):
    """Entry point of ``compare.py``; returns the exit code."""
    study = compare_study

    def sweeps(options):
        minibatch.prefer_onednn()  # before the workers start: they inherit it, and every record stores it
        budget = [{dataset: getattr(options, "%s_%s" % (dataset, what)) for dataset in study.DATASETS}
                  for what in ("max_epochs", "patience")]
        settings = study.Settings(options.groups, options.datasets, options.batch_sizes,
                                  options.learning_rates, options.seeds, *budget, options.examples_per_epoch,
                                  options.extensions)
        for planned in study.stages(options.out, settings):
            yield Sweep(options.out, planned, minibatch.train)

    def write(options):
        if not options.report_only:
            study.write_init_check(options.data_dir, options.out)
        return ["wrote " + ", ".join(study.write_report(options.out))]

    return _study(prog, compare_parser(prog), argv, sweeps, write)


BENCHMARK_PARTS = ("engines", "layers", "networks")


def benchmark_parser(prog="benchmark.py"):
    parser = arguments.Parser(prog, (
        "Measure examples/s of the training engines side by side in one run, one thread vs all cores vs "
        "parallel runs, and project the full sweep's time; and the batched layers against dense layers. "
        "Prints Markdown and writes it to --out."))
    parser.add_argument("--engines", nargs="+", choices=blog.ENGINES, default=list(blog.ENGINES))
    parser.add_argument("--models", nargs="+", choices=blog.MODELS, default=list(blog.MODELS))
    parser.add_argument("--repeats", type=arguments.number(int), default=5,
                        help="timed chunks of 1,100 steps per measurement (the fastest counts)")
    parser.add_argument("--parts", nargs="+", choices=BENCHMARK_PARTS, default=list(BENCHMARK_PARTS),
                        help="what to measure: the training engines, the batched layers, a training step of "
                             "each minibatch network")
    parser.add_argument("--layer-batches", nargs="+", type=arguments.number(int, 65536),
                        default=[1, 32, 128, 1024], metavar="N", help="batch sizes for the dense layers")
    parser.add_argument("--network-batches", nargs="+", type=arguments.number(int, 4096), default=[32, 128],
                        metavar="N", help="batch sizes for the minibatch networks")
    parser.add_argument("--conv-batches", nargs="+", type=arguments.number(int, 4096), default=[32, 128],
                        metavar="N", help="batch sizes for the convolutions")
    parser.add_argument("--python", type=arguments.interpreter, metavar="INTERPRETER",
                        help="also measure the engines and the networks under this interpreter (e.g. a venv "
                             "with TensorFlow 1.15: the blog's loop there is the peer), side by side")
    parser.add_argument("--sweeps", nargs="+", type=arguments.input_dir, metavar="DIR",
                        help="results directories whose measured sweep wall times go beside the peer "
                             "[default: those of %s that exist]" % ", ".join(SWEEPS))
    arguments.data_option(parser)
    arguments.report_option(parser, "--out", "results/benchmarks.md")
    return parser


def benchmark(argv=None, prog="benchmark.py"):
    """Entry point of ``benchmark.py``; returns the exit code."""
    return _command_line(prog, benchmark_parser(prog), argv, _measure)


SWEEPS = ("results", "results/faithful", "results/tf1.15", "results/tf1.15/faithful")  # the committed sweeps


def _measure(options, argv):
    """The benchmark's Markdown, printed and written to --out."""
    from mtneuron.studies import benchmark as bench
    from mtneuron.studies import layer_benchmark, network_benchmark

    text, started = "", time.time()
    if "engines" in options.parts:
        data.mnist_files(options.data_dir)
        text += _engines_text(bench, options) + "\n"
    if "layers" in options.parts:
        text += layer_benchmark.layer_report(options.layer_batches, options.conv_batches) + "\n"
    if "networks" in options.parts:
        data.mnist_files(options.data_dir)
        text += _under_each(options, network_benchmark.network_measurements, network_benchmark.network_report,
                            batches=options.network_batches, data_dir=options.data_dir)
    text = "# Benchmarks\n\nCommand: `%s`\n\nWall time: %.1f min.\n\n%s" % (
        options.command, (time.time() - started) / 60, text)
    files.write_text(options.out, text)
    return [text]


def _under_each(options, measure, report, **settings):
    """``report`` of ``measure(**settings)`` here and, with --python, under that interpreter too."""
    measurements = [measure(**settings)]
    if options.python is not None:
        measurements.append(interpreter.call_under(options.python, measure, **settings))
    measurements.sort(key=lambda measured: measured["environment"]["tensorflow_version"])
    return "\n".join(report(measured) for measured in measurements)


def _engines_text(bench, options):
    """The engines measured here (and under --python, against the peer), as Markdown."""
    settings = dict(engines=options.engines, models=options.models, data_dir=options.data_dir,
                    repeats=options.repeats)
    measurements = [bench.engine_measurements(**settings)]
    if options.python is None:
        return bench.engine_report(measurements[0])
    measurements.append(interpreter.call_under(options.python, bench.engine_measurements, **settings))
    measurements.sort(key=lambda measured: measured["environment"]["tensorflow_version"])
    sweeps = options.sweeps or [path for path in SWEEPS if os.path.isdir(path)]
    text = bench.peer_report(measurements, [(path, records.load_records(path)) for path in sweeps])
    return text + "\n".join("\n" + bench.engine_report(measured) for measured in measurements)


def tf_agreement_parser(prog="tf_agreement.py"):
    parser = arguments.Parser(prog, (
        "Compare the faithful loop on two TensorFlows from the same seed, bit for bit: data order, initial "
        "weights, the first example's forward pass and gradients, and the parameters after 1, 10 and 1,100 "
        "steps. Takes a snapshot under this interpreter and under --python (e.g. a Python 3.7 venv with "
        "TensorFlow 1.15), then writes --out (Markdown) and the same numbers as JSON beside it."))
    parser.add_argument("--python", required=True, type=arguments.interpreter, metavar="INTERPRETER",
                        help="the other interpreter, with mtneuron installed (e.g. .venv37/bin/python)")
    parser.add_argument("--models", nargs="+", choices=blog.MODELS, default=list(blog.MODELS))
    arguments.seed_option(parser)
    arguments.data_option(parser)
    arguments.report_option(parser, "--out", "results/tf_agreement.md")
    return parser


def tf_agreement(argv=None, prog="tf_agreement.py"):
    """Entry point of ``tf_agreement.py``; returns the exit code."""
    return _command_line(prog, tf_agreement_parser(prog), argv, _compare_tensorflows)


def _compare_tensorflows(options, argv):
    """Snapshots under --python and this interpreter, compared; the report written to --out."""
    data.mnist_files(options.data_dir)
    started = time.time()
    with tempfile.TemporaryDirectory() as scratch:
        snapshots = [agreement.snapshot_under(python, os.path.join(scratch, "%d.npz" % index),
                                              options.data_dir, options.seed, options.models)
                     for index, python in enumerate((options.python, sys.executable))]
    result = agreement.compare(*snapshots)  # the other interpreter's TensorFlow is the reference
    command, wall_time = options.command, time.time() - started
    files.write_text(options.out, agreement.markdown(result, command, wall_time))
    records.write_json(os.path.splitext(options.out)[0] + ".json",
                       dict(result, command=command, wall_time_s=wall_time))
    verdicts = ["%s: %s" % (model, agreement.verdict(outcome)) for model, outcome in result["models"].items()]
    return verdicts + ["wrote " + options.out]
