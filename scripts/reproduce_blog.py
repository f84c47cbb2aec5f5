"""Re-run the blog's experiment; see ``python scripts/reproduce_blog.py --help``."""

import sys

from mtneuron.cli.commands import reproduce_blog

if __name__ == "__main__":
    sys.exit(reproduce_blog())
