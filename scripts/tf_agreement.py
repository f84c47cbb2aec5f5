"""Compare the faithful loop on two TensorFlows bit for bit; see mtneuron.cli.commands.tf_agreement."""

import sys

from mtneuron.cli.commands import tf_agreement

if __name__ == "__main__":
    sys.exit(tf_agreement())
