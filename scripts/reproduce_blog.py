"""Re-run the blog's experiment: the same as ``mtneuron reproduce``; see ``--help``."""

import sys

try:
    from mtneuron.cli.commands import reproduce_blog
except ModuleNotFoundError:  # a clone without the package (or what it needs) installed
    sys.exit('reproduce_blog.py: error: mtneuron is not installed: run pip install -e ".[cpu]" in the clone '
             "first (see README.md)")

if __name__ == "__main__":
    sys.exit(reproduce_blog())
