"""Compare the faithful loop on two TensorFlows bit for bit; see mtneuron.cli.tf_agreement."""

import sys

from mtneuron.cli import tf_agreement

if __name__ == "__main__":
    sys.exit(tf_agreement())
