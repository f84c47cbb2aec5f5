"""The commands that measure rather than train: the benchmark (engines, layers, networks, and both
TensorFlows against the peer) and the bit-for-bit agreement of the faithful loop on two TensorFlows."""

import os
import sys
import tempfile
import time

from mtneuron import blog, data
from mtneuron.cli import arguments
from mtneuron.cli.flow import command_line
from mtneuron.run import files, interpreter, records
from mtneuron.studies import agreement

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
    return command_line(prog, benchmark_parser(prog), argv, _measure)


SWEEPS = ("results", "results/faithful", "results/tf1.15", "results/tf1.15/faithful")  # the committed sweeps


def _measure(options):
    """The benchmark's Markdown, printed and written to --out."""
    from mtneuron.studies.benchmarks import layers, networks

    text, started = "", time.time()
    if "engines" in options.parts:
        data.mnist_files(options.data_dir)
        text += _engines_text(options) + "\n"
    if "layers" in options.parts:
        text += layers.layer_report(options.layer_batches, options.conv_batches) + "\n"
    if "networks" in options.parts:
        data.mnist_files(options.data_dir)
        text += _under_each(options, networks.network_measurements, networks.network_report,
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


def _engines_text(options):
    """The engines measured here (and under --python, against the peer), as Markdown."""
    from mtneuron.studies.benchmarks import engines, peer

    settings = dict(engines=options.engines, models=options.models, data_dir=options.data_dir,
                    repeats=options.repeats)
    measurements = [engines.engine_measurements(**settings)]
    if options.python is None:
        return engines.engine_report(measurements[0])
    measurements.append(interpreter.call_under(options.python, engines.engine_measurements, **settings))
    measurements.sort(key=lambda measured: measured["environment"]["tensorflow_version"])
    sweeps = options.sweeps or [path for path in SWEEPS if os.path.isdir(path)]
    text = peer.peer_report(measurements, [(path, records.load_records(path)) for path in sweeps])
    return text + "\n".join("\n" + engines.engine_report(measured) for measured in measurements)


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
    return command_line(prog, tf_agreement_parser(prog), argv, _compare_tensorflows)


def _compare_tensorflows(options):
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
