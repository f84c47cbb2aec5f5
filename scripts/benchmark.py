"""Benchmark the training engines side by side; see ``python scripts/benchmark.py --help``."""

import sys

from mtneuron.cli.commands import benchmark

if __name__ == "__main__":
    sys.exit(benchmark())
