"""The command lines' options: a parser whose errors are one line, option types that refuse what
cannot be used (exit code 2, naming the fix), and the option groups the commands share."""

import argparse
import math
import os
import re

from mtneuron import blog, data


class DefaultsOnce(argparse.ArgumentDefaultsHelpFormatter):
    """Help that gives an option's default once: not where its help states it, nor when there is none."""

    def _get_help_string(self, action):
        if "default" in (action.help or "") or action.default in (None, False, argparse.SUPPRESS):
            return action.help
        return super()._get_help_string(action)


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (and exit code 2). An option group that constrains
    its options together adds a check (``check(options)`` returns an error message or None)."""

    def __init__(self, prog, description):
        super().__init__(prog=prog, description=description, formatter_class=DefaultsOnce)
        self.checks = []

    def error(self, message):
        self.exit(2, "%s: error: %s (see --help)\n" % (self.prog, message))

    def parse_args(self, args=None, namespace=None):
        """Parse, then run the option groups' checks."""
        options = super().parse_args(args, namespace)
        for check in self.checks:
            message = check(options)
            if message:
                self.error(message)
        return options


# ---- option types: each refuses what cannot be used, in one line


def number(kind, maximum=None):
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


def count(maximum, noun="count"):
    """An integer from 0 to ``maximum``; its error calls the value a ``noun``."""
    def parse(text):
        if not re.fullmatch(r"\d+", text.strip()) or int(text) > maximum:
            raise argparse.ArgumentTypeError("%r is not a %s: pass an integer from 0 to %d"
                                             % (text, noun, maximum))
        return int(text)
    return parse


SEED_LIMIT = 2 ** 31 - 1  # TensorFlow's and numpy's seeds are 32-bit
seed = count(SEED_LIMIT, "seed")  # one seed


def seeds(text):
    """Seeds as ``1-10``, ``1,3,5`` or a mix such as ``1-3,7``."""
    found = []
    for part in text.split(","):
        match = re.fullmatch(r"(\d+)(?:-(\d+))?", part.strip())
        if match is None:
            raise argparse.ArgumentTypeError("%r is not a list or range of seeds such as 1-5 or 1,3,5" % text)
        found += range(seed(match.group(1)), seed(match.group(2) or match.group(1)) + 1)
    if not found:
        raise argparse.ArgumentTypeError("%r names no seed (a range runs upwards: 1-5)" % text)
    return found


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


def output_dir(text):
    """A directory to write results into: absent (it is created) or a writable directory."""
    if os.path.exists(text) and not os.path.isdir(text):
        raise argparse.ArgumentTypeError("%s is a file: pass a directory" % text)
    _writable_place(text)
    return text


def output_file(text):
    """A file to write: absent or a writable file, never a directory."""
    if os.path.isdir(text):
        raise argparse.ArgumentTypeError("%s is a directory: pass a file name" % text)
    _writable_place(text)
    return text


def input_dir(text):
    """A directory that exists."""
    if not os.path.isdir(text):
        raise argparse.ArgumentTypeError("%s is %s: pass an existing directory" % (
            text, "a file" if os.path.exists(text) else "missing"))
    return text


def interpreter(text):
    """A Python interpreter that exists and can be executed."""
    if not (os.path.isfile(text) and os.access(text, os.X_OK)):
        raise argparse.ArgumentTypeError("%s is not an executable file: pass a Python interpreter, e.g. "
                                         ".venv37/bin/python" % text)
    return text


# ---- option groups, shared between the parsers


def run_options(parser, learning_rates):
    """What a blog run is: learning rates, models, epochs, examples, curve points, sizes."""
    group = parser.add_argument_group("runs")
    group.add_argument("--learning-rates", nargs="+", type=number(float), default=list(learning_rates),
                       metavar="RATE", help="learning rates to sweep")
    group.add_argument("--models", nargs="+", choices=blog.MODELS, default=list(blog.MODELS),
                       help="neuron models to train")
    group.add_argument("--epochs", type=number(int), default=blog.EPOCHS, help="epochs per run")
    examples_option(group)
    group.add_argument("--average-every", type=number(int), metavar="N",
                       help="examples per point of the curves [default: examples per epoch // %d, %d as in "
                            "the blog]" % (blog.POINTS_PER_EPOCH, blog.AVERAGE_EVERY))
    group.add_argument("--test-examples", type=number(int, blog.TEST_EXAMPLES), default=blog.TEST_EXAMPLES,
                       metavar="N", help="test examples to evaluate (the first N)")
    group.add_argument("--hidden-sizes", nargs="+", type=number(int), default=list(blog.HIDDEN_SIZES),
                       metavar="UNITS", help="units per hidden layer")
    parser.checks.append(_curve_points)


def _curve_points(options):
    """An error if a curve point would average more examples than a run has."""
    examples = options.epochs * options.examples_per_epoch
    if options.average_every and options.average_every > examples:
        return ("--average-every %d is more than the %d examples of a run: no curve point would be "
                "recorded" % (options.average_every, examples))
    return None


def examples_option(group):
    group.add_argument("--examples-per-epoch", type=number(int, blog.TRAIN_EXAMPLES),
                       default=blog.TRAIN_EXAMPLES, metavar="N",
                       help="training examples per epoch (fewer for a quick run)")


def seeds_option(parser, option, default, what):
    """A list or range of seeds (``1-10``, ``1,3,5``, ``1-3,7``) for ``what``."""
    parser.add_argument(option, type=seeds, default=default, metavar="SEEDS",
                        help=what + ", as a range or list: 1-10, 1,3,5, 1-3,7")


def seed_option(parser):
    parser.add_argument("--seed", type=seed, default=blog.SEED, help="initial weights and data order")


def engine_option(parser):
    parser.add_argument("--engine", choices=blog.ENGINES, default=blog.DEFAULT_ENGINE,
                        help="faithful: the blog's loop, one session.run per example; exact: the "
                             "same updates in a tf.while_loop, bit-identical; fast: the loop compiled "
                             "with XLA (sums may be reordered)")


def measure_option(parser, default):
    """``--measure`` / ``--no-measure``: the per-step sparsity and gradient measurements, which change no
    other number of a run and cost time; ``default`` is the command's."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--measure", dest="measure", action="store_true", default=default,
                       help="take the per-step measurements (unit and synapse sparsity, gradient counts)")
    group.add_argument("--no-measure", dest="measure", action="store_false", default=argparse.SUPPRESS,
                       help="skip them: the runs train the same, faster")


def data_option(parser):
    parser.add_argument("--data-dir", type=input_dir, metavar="DIR",
                        help="directory with the MNIST IDX files (.gz or raw) [default: $%s, else a user "
                             "cache filled by download]" % data.DATA_ENV)


def sweep_options(parser):
    """Where and how runs execute; what to do with records already there."""
    group = parser.add_argument_group("sweep")
    group.add_argument("--jobs", type=number(int), default=os.cpu_count() or 1,
                       help="runs trained in parallel, one process each")
    group.add_argument("--threads", type=number(int), metavar="N",
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
    data_option(group)
    parser.checks.append(lambda options: "--address needs --backend ray"
                         if options.address and options.backend != "ray" else None)


def outputs(parser, out, report_file=None, what="the records in --out"):
    """``--out`` (a directory), ``--report`` (a file) if the command writes one, ``--report-only``."""
    parser.add_argument("--out", type=output_dir, default=out, metavar="DIR", help="directory for the runs")
    if report_file is not None:
        report_option(parser, "--report", report_file)
    parser.add_argument("--report-only", action="store_true",
                        help="train nothing: only redraw the figures and the report from " + what)


def report_option(parser, option, default):
    """The Markdown report a command writes (a file, never a directory)."""
    parser.add_argument(option, type=output_file, default=default, metavar="FILE",
                        help="Markdown report to write")
