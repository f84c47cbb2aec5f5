"""Multi- against central-threshold neurons, each at its best; see ``python scripts/compare.py --help``."""

import sys

from mtneuron.cli.commands import compare

if __name__ == "__main__":
    sys.exit(compare())
