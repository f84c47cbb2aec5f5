"""The verdicts of the claims and how a claim's findings are written: one vocabulary for every claim.

A statistical claim is supported, mixed or not supported by a rule stated beside it; a claim that follows
from the construction of the neuron is not a statistical finding, and is confirmed (or contradicted) by
the measurement that checks it. Imports no TensorFlow.
"""

from mtneuron.run import stats
from mtneuron.run.markdown import p_value, wilcoxon

SUPPORTED, NOT_SUPPORTED, MIXED = "supported", "not supported", "mixed"
CONFIRMED = "holds by construction, confirmed"
CONTRADICTED = "holds by construction, but the measurement contradicts it"
UNMEASURED = "holds by construction, not measured"


def share(passed, total):
    """Supported if every one of ``total`` passed, mixed if some did, not supported if none (or nothing
    to test)."""
    if total and passed == total:
        return SUPPORTED
    return MIXED if passed else NOT_SUPPORTED


def test_text(result, pattern="%.4f", names=("multi", "central")):
    """``multi - central = ... (95% CI ...), paired t-test p = ..., Wilcoxon p = ... (smallest possible
    ...), n seeds``."""
    return ("%s - %s = %s (95%% CI %s to %s), paired t-test p = %s, Wilcoxon p = %s, %d seeds"
            % (names + (pattern % result["mean_difference"], pattern % result["ci95"][0],
                        pattern % result["ci95"][1], p_value(result["t_p"]), wilcoxon(result), result["n"])))


def mean_text(values):
    """``0.9712 ± 0.0011``: mean and sd over seeds (sd 0 for one value)."""
    summary = stats.describe(values)
    return "%.4f ± %.4f" % (summary["mean"], summary["sd"] if summary["n"] > 1 else 0.0)
