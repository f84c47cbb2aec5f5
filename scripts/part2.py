"""Part II: minibatch multi-threshold MLPs and CNNs; see ``python scripts/part2.py --help``."""

import sys

from mtneuron.cli.commands import part2

if __name__ == "__main__":
    sys.exit(part2())
