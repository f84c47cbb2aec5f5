"""Both TensorFlows side by side, against the peer: the blog's own loop on TensorFlow 1.15."""

from mtneuron import blog
from mtneuron.run.markdown import sweep_seconds, table
from mtneuron.studies.benchmarks.engines import BLOG_RUNS, BLOG_STEPS, projected_sweep_minutes

PEER = ("faithful", 1)  # the blog's loop on the blog's TensorFlow (major version 1)
FLOOR_TARGET = 1.5  # the sweep engine's cost per example, at most this times the Adam-alone floor's
PEER_SWEEP_TARGET = 12.0  # the default sweep at least this much faster than the peer's, one run at a time


def _version(measured):
    return measured["environment"]["tensorflow_version"]


def _keyed(measured, layout):
    """``{(engine, model): result}`` of one layout (``single``, ``threaded``, ``parallel``)."""
    keys = [(engine, model) for engine in measured["engines"] for model in measured["models"]]
    return dict(zip(keys, measured[layout]))


def _peer(measurements):
    """The peer's measurements (TensorFlow 1.x, the faithful engine), or None when not measured."""
    peers = [measured for measured in measurements
             if int(_version(measured).split(".")[0]) == PEER[1] and PEER[0] in measured["engines"]]
    return peers[0] if peers else None


def peer_report(measurements, sweeps=()):
    """Markdown: every engine on every measured TensorFlow against the blog's loop on TF 1.15 (one
    thread), projected sweep times, the targets, and the measured sweeps of ``sweeps`` (directory, runs)."""
    peer = _peer(measurements)
    if peer is None:
        return "\n".join(["## Against the blog's loop on TensorFlow 1.15", "",
                          "Not measured: pass `--python` an interpreter with TensorFlow 1.15.", ""]) + "\n"
    peer_single, peer_minutes = _keyed(peer, "single"), _projected(peer, 1)[PEER[0]]
    lines = ["## Against the blog's loop on TensorFlow 1.15", "",
             "The peer is what a user would run instead: the blog's own loop (`faithful`) on TensorFlow %s, "
             "one thread, one run at a time (projected sweep %.1f min). Each TensorFlow measured in its own "
             "interpreter, one after the other, in one run." % (_version(peer), peer_minutes), ""]
    lines += _peer_speed_table(measurements, peer_single)
    lines += _peer_sweep_table(measurements, peer_minutes)
    lines += _peer_targets(measurements, peer_minutes)
    lines += _measured_sweeps(sweeps, peer_minutes)
    return "\n".join(lines) + "\n"


def _projected(measured, jobs):
    """Projected default-sweep minutes per engine with ``jobs`` runs at a time, from one thread each."""
    rates = _keyed(measured, "single")
    if jobs > 1:  # each of the parallel runs shared the machine as a sweep's runs do
        rates = {key: together[0] for key, together in _keyed(measured, "parallel").items()}
    return {engine: projected_sweep_minutes({model: rates[engine, model] for model in blog.MODELS}, jobs)
            for engine in measured["engines"]}


def _peer_speed_table(measurements, peer_single):
    rows = []
    for measured in measurements:
        for (_, model), result in _keyed(measured, "single").items():
            rate = result["examples_per_second"]
            peer_rate = peer_single[PEER[0], model]["examples_per_second"]
            rows.append(["TF " + _version(measured), result["engine"], model, "%.0f" % rate,
                         "%.0f" % (1e6 / rate), "%.2fx" % (rate / peer_rate)])
    header = ["TensorFlow", "engine", "model", "examples/s", "us/step", "vs the blog's loop on TF 1.15"]
    return ["### One run, one thread", "", table(header, rows), ""]


def _peer_sweep_table(measurements, peer_minutes):
    rows = []
    for measured in measurements:
        together, alone = _projected(measured, measured["cores"]), _projected(measured, 1)
        for engine in measured["engines"]:
            rows.append(["TF " + _version(measured), engine, "%.1f min" % together[engine],
                         "%.1f min" % alone[engine], "%.1fx" % (peer_minutes / together[engine])])
    cores = measurements[0]["cores"]
    header = ["TensorFlow", "engine", "%d runs at a time" % cores, "1 run at a time",
              "%d at a time vs the peer" % cores]
    return ["### Projected default sweep (%d runs x %s steps + %d test evaluations)"
            % (len(BLOG_RUNS), f"{BLOG_STEPS:,}", len(BLOG_RUNS)), "", table(header, rows), ""]


def _peer_targets(measurements, peer_minutes):
    """The floor and sweep targets for each TensorFlow's default engine."""
    lines = ["### Targets", ""]
    for measured in measurements:
        if blog.DEFAULT_ENGINE not in measured["engines"] or measured["alone"] is None:
            continue
        floor = 1e6 / measured["alone"]["examples_per_second"]
        single = _keyed(measured, "single")
        ratios = {model: 1e6 / single[blog.DEFAULT_ENGINE, model]["examples_per_second"] / floor
                  for model in measured["models"]}
        sweep = peer_minutes / _projected(measured, measured["cores"])[blog.DEFAULT_ENGINE]
        lines.append(
            "- TF %s, `%s`: cost per example vs the Adam-alone floor (%.0f us): %s (target <= %.2fx: %s); "
            "projected default sweep %.1fx faster than the peer's (target >= %.0fx: %s); %s." % (
                _version(measured), blog.DEFAULT_ENGINE, floor,
                ", ".join("%s %.2fx" % item for item in sorted(ratios.items())), FLOOR_TARGET,
                _met(max(ratios.values()) <= FLOOR_TARGET), sweep, PEER_SWEEP_TARGET,
                _met(sweep >= PEER_SWEEP_TARGET), _floor_bound(measured, floor, peer_minutes)))
    return lines + [""]


def _floor_bound(measured, floor, peer_minutes):
    """What the floor allows: the sweep's speed-up over the peer if every step cost only the Adam update."""
    rates = {key: dict(result, examples_per_second=1e6 / floor)
             for key, result in _keyed(measured, "single").items()}
    at_floor = {model: rates[blog.DEFAULT_ENGINE, model] for model in blog.MODELS}
    bound = peer_minutes / projected_sweep_minutes(at_floor, measured["cores"])
    return ("a step at the floor (set-up and tests as measured) would make the sweep %.1fx faster: the most "
            "a batch-1 engine that updates every parameter at every step reaches on this machine" % bound)


def _met(passed):
    return "met" if passed else "not met"


def _measured_sweeps(sweeps, peer_minutes):
    """Markdown lines: the wall time of each committed sweep of ``(directory, runs)``, against the peer."""
    if not sweeps:
        return []
    rows = [[directory, ", ".join(sorted({"%s, TF %s" % (run["engine"], run["tensorflow_version"])
                                         for run in runs})),
             "%d" % len(runs), "%d" % max(run.get("jobs", 1) for run in runs),
             "%.1f min" % (sweep_seconds(runs) / 60), "%.1fx" % (peer_minutes * 60 / sweep_seconds(runs))]
            for directory, runs in sweeps]
    header = ["sweep", "engine, TensorFlow", "runs", "at a time", "measured wall time",
              "vs the peer (projected)"]
    return ["### Measured sweeps", "", "Wall time of the committed sweeps, while their runs were going "
            "(each on a machine of this kind, not necessarily quiet).", "", table(header, rows), ""]
