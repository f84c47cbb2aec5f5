"""Compare two engines over seeds; see ``python scripts/engine_equivalence.py --help``."""

import sys

from mtneuron.cli.commands import engine_equivalence

if __name__ == "__main__":
    sys.exit(engine_equivalence())
