"""Markdown for every study's report: tables, numbers, p-values and the provenance of runs."""

import datetime
import math

DASH = "–"  # a value that does not exist (no runs) or is not finite


def table(header, rows):
    """A Markdown table of ``header`` and ``rows`` (lists of strings)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def number(value, pattern="%.4f"):
    """``value`` formatted with ``pattern``, or a dash when it is None or not finite."""
    return DASH if value is None or not math.isfinite(value) else pattern % value


def wilcoxon(test):
    """A paired test's Wilcoxon p beside the smallest p its number of pairs allows (0.0625 for 5)."""
    return "%s (smallest possible %s)" % (p_value(test["wilcoxon_p"]), p_value(test["smallest_wilcoxon_p"]))


def p_value(value):
    """A p-value in one format everywhere: two significant digits, scientific below 1e-4."""
    if value is None or not math.isfinite(value):
        return DASH
    return "%.2g" % value if value >= 1e-4 else "%.1e" % value


def sweep_seconds(runs):
    """Wall seconds of the sittings in which the runs went (a study resumed days later does not count the
    days in between)."""
    return sum(finish - start for start, finish in sittings(runs))


PAUSE = 600  # seconds without a run going that end a sitting (between runs a sweep starts processes, plans)


def sittings(runs):
    """The ``(start, finish)`` spans in which runs went with no pause of ``PAUSE`` seconds or more."""
    spans = []
    for start, finish in sorted((run["started_at"], run["finished_at"]) for run in runs):
        if spans and start < spans[-1][1] + PAUSE:
            spans[-1] = (spans[-1][0], max(spans[-1][1], finish))
        else:
            spans.append((start, finish))
    return spans


PROVENANCE_KEYS = (("engine", "engine"), ("onednn", "TF_ENABLE_ONEDNN_OPTS"), ("xla_flags", "XLA_FLAGS"),
                   ("tensorflow_version", "TensorFlow"), ("python_version", "Python"),
                   ("numpy_version", "numpy"), ("platform", "platform"), ("cpu_count", "CPU cores"))


def provenance(runs):
    """Command, versions, machine and wall time of ``runs``, as read from their records."""
    facts = ["command: `%s`" % command for command in sorted({run.get("command", "(not recorded)")
                                                              for run in runs})]
    for key, name in PROVENANCE_KEYS:
        facts.append("%s: %s" % (name, ", ".join(sorted({str(run.get(key, DASH)) for run in runs}))))
    facts.append("runs: %d, from %s to %s UTC" % (len(runs), _utc(min(run["started_at"] for run in runs)),
                                                 _utc(max(run["finished_at"] for run in runs))))
    spans = len(sittings(runs))
    facts.append("sweep wall time: %.1f min (while runs were going%s); compute time summed over runs: "
                 "%.1f min" % (sweep_seconds(runs) / 60, "" if spans == 1 else ", in %d sittings" % spans,
                               sum(run["wall_time_s"] for run in runs) / 60))
    return facts


def bullets(facts):
    """Markdown list lines, one per fact."""
    return ["- " + fact for fact in facts]


def _utc(timestamp):
    return datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")
