"""``mtneuron <command>``: one command line for every study (also ``python -m mtneuron``)."""

import sys

from mtneuron import __version__
from mtneuron.cli import commands, measure

COMMANDS = {  # name: (entry point, what it does)
    "reproduce": (commands.reproduce_blog, "re-run the blog's experiment (Figures 2 and 3, the table)"),
    "claims": (commands.claims_study, "test the blog's claims over seeds and a learning-rate grid"),
    "compare": (commands.compare, "each neuron at its own best rate and init, trained to its plateau"),
    "part2": (commands.part2, "minibatch MLPs and CNNs with multi- or central-threshold layers"),
    "equivalence": (commands.engine_equivalence, "are two training engines statistically the same?"),
    "benchmark": (measure.benchmark, "the engines', layers' and networks' speed, side by side"),
    "agreement": (measure.tf_agreement, "the faithful loop on two TensorFlows, compared bit by bit"),
}


def usage(prog):
    """The top-level help: the commands and what each does."""
    width = max(map(len, COMMANDS))
    lines = ["usage: %s [--version] <command> [options]" % prog, "",
             "The multi-threshold neuron: the 2018 blog's experiment and the studies beyond it.", "",
             "commands (%s <command> --help for each):" % prog]
    lines += ["  %s  %s" % (name.ljust(width), text) for name, (_entry, text) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv=None, prog="mtneuron"):
    """Dispatch ``argv`` (the process's arguments when None) to its command; returns the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(usage(prog))
        return 0 if argv else 2
    if argv[0] == "--version":
        print("mtneuron %s" % __version__)
        return 0
    if argv[0] not in COMMANDS:
        print("%s: error: no command %r: choose from %s (see %s --help)" % (
            prog, argv[0], ", ".join(COMMANDS), prog), file=sys.stderr)
        return 2
    try:
        return COMMANDS[argv[0]][0](argv[1:], prog="%s %s" % (prog, argv[0]))
    except SystemExit as stopped:  # argparse ends --help and bad options so: return its code instead
        return stopped.code
