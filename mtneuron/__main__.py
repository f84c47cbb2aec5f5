"""``python -m mtneuron <command>``: the same command line as ``mtneuron``."""

import sys

from mtneuron.cli.main import main

if __name__ == "__main__":
    sys.exit(main(prog="python -m mtneuron"))
