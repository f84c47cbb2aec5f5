"""Test the blog's claims over seeds and a learning-rate grid; see ``python scripts/claims.py --help``."""

import sys

from mtneuron.cli.commands import claims_study

if __name__ == "__main__":
    sys.exit(claims_study())
