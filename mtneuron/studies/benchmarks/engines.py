"""Side-by-side speed of the engines, measured in one run on one machine, as Markdown.

Each measurement builds a trainer, trains one warm-up chunk (graph set-up, XLA
compilation), then times ``repeats`` chunks of ``CHUNK`` steps (keeping the fastest: the
machine is shared and noisy) and one full test evaluation.
Every measurement runs in fresh processes; the parallel one runs the same thing in as
many processes as there are cores at once, which is how a sweep uses the machine.
"""

import os
import time

import numpy as np

from mtneuron import blog
from mtneuron.blog_runs import RunSpec
from mtneuron.run.markdown import DASH, table
from mtneuron.run.pool import in_processes

CHUNK = blog.AVERAGE_EVERY  # steps per timed chunk: one point of the curves
BLOG_RUNS = [(model, rate) for rate in blog.LEARNING_RATES for model in blog.MODELS]
BLOG_STEPS = blog.EPOCHS * blog.TRAIN_EXAMPLES


def measure(engine, model, data_dir=None, threads=1, repeats=5):
    """Examples/s of training and seconds of one evaluation of the blog's test examples."""
    from mtneuron.train import training

    datasets = _datasets(data_dir)
    spec = RunSpec(model=model, learning_rate=blog.LEARNING_RATE, engine=engine, measure=False)  # as swept
    started = time.time()
    trainer = training.make_trainer(spec, datasets, threads)
    try:
        trainer.steps(CHUNK)
        setup = time.time() - started
        seconds = timings(lambda: trainer.steps(CHUNK), repeats)
        rate = CHUNK / min(seconds)  # the least disturbed chunk, as timeit does on a shared machine
        started = time.time()
        trainer.accuracy(datasets.test, blog.TEST_EXAMPLES)
        test_seconds = time.time() - started
    finally:
        trainer.close()
    return {"engine": trainer.engine, "model": model, "threads": threads, "examples_per_second": rate,
            "test_seconds": test_seconds, "setup_seconds": setup}


def measure_adam_alone(model="multi", threads=1, repeats=5):
    """Examples/s of the fast engine's Adam update alone, on the blog network's parameter shapes.

    The same XLA-compiled loop of ``CHUNK`` steps with no network: each step's gradients are one
    broadcast number, so nearly all of the time is the update's own memory traffic and arithmetic.
    It bounds how fast the fast engine can be. The number is cheap integer arithmetic on the step:
    XLA fuses it into every element's update (TF 1.15's ``sin`` there cost more than the update).
    """
    from mtneuron.models import build_graph
    from mtneuron.tf1 import session_config, tf

    shapes = [parameter.shape for parameter in build_graph(model).parameters]
    graph = tf.Graph()
    with graph.as_default():
        update = _adam_alone_update(shapes)
        init = tf.global_variables_initializer()
    with tf.Session(graph=graph, config=session_config(threads)) as session:
        session.run(init)
        session.run(update)
        seconds = timings(lambda: session.run(update), repeats)
    return {"engine": "Adam alone", "model": model, "threads": threads,
            "examples_per_second": CHUNK / min(seconds),
            "parameters": int(sum(np.prod(shape.as_list()) for shape in shapes))}


def _adam_alone_update(shapes):
    """An op that runs ``CHUNK`` XLA-compiled Adam updates of new variables of ``shapes`` and their
    moments, carried out of place as the fast engine's loop carries them."""
    from mtneuron.tf1 import tf
    from mtneuron.train import fast

    count = len(shapes)
    state = [tf.Variable(tf.random_normal(shape), use_resource=True) for shape in shapes]
    state += [tf.Variable(tf.zeros(shape), use_resource=True) for shape in shapes * 2]

    def body(step, *loop_state):
        values = loop_state[:3 * count + 2]
        gradient = tf.cast(step % 7 - 3, tf.float32)
        gradients = [tf.fill(shape, gradient) for shape in shapes]
        updated = fast.adam_update(values[:count], values[count:-2], values[-2:], gradients,
                                     blog.LEARNING_RATE)
        return (step + 1,) + fast.carry(updated, values, count)

    def chunk(*values):
        start = tuple(values) + (tf.constant(fast.BETA1), tf.constant(fast.BETA2))
        start = (tf.constant(0),) + fast.carry(start, start, count)
        loop = tf.while_loop(lambda step, *_: step < CHUNK, body, start, parallel_iterations=1)
        return loop[1:1 + 3 * count]

    outputs = tf.xla.experimental.compile(chunk, [variable.read_value() for variable in state])
    return tf.group(*[variable.assign(value) for variable, value in zip(state, outputs)])


def timings(function, repeats):
    """Seconds of each of ``repeats`` calls of ``function``."""
    seconds = []
    for _ in range(repeats):
        started = time.time()
        function()
        seconds.append(time.time() - started)
    return seconds


_cache = {}


def _datasets(data_dir):
    from mtneuron import data

    if data_dir not in _cache:
        _cache[data_dir] = data.read_data_sets(data_dir)
    return _cache[data_dir]


def measure_in_processes(engine, model, data_dir=None, processes=1, threads=1, repeats=5):
    """Run ``measure`` in ``processes`` fresh processes at once; return their results.

    Every measurement gets new processes, so none inherits the heap (and the garbage-collection
    cost) or the thread pools of an earlier one.
    """
    return in_processes(processes, measure, engine, model, data_dir, threads, repeats)


def projected_sweep_minutes(rates, jobs):
    """Minutes for the blog's 8 runs given per-model results ``rates[model]`` with ``jobs`` in parallel."""
    seconds = sum(BLOG_STEPS / rates[model]["examples_per_second"] + rates[model]["test_seconds"]
                  + rates[model]["setup_seconds"] for model, _ in BLOG_RUNS)
    return seconds / jobs / 60


def engine_measurements(engines=blog.ENGINES, models=blog.MODELS, data_dir=None, repeats=5):
    """Every engine and model measured three ways (one thread, all cores, one run per core) and the
    Adam update alone, with this interpreter's versions: JSON-ready, so another TensorFlow's
    interpreter can measure and hand them back (``interpreter.call_under``)."""
    from mtneuron.train.recording import environment

    cores, started = os.cpu_count() or 1, time.time()
    measure_in_processes(engines[0], models[0], data_dir, cores, 1, repeats)  # warm-up, not reported
    measured = {"single": [], "threaded": [], "parallel": []}
    for engine in engines:
        for model in models:
            measured["single"].append(measure_in_processes(engine, model, data_dir, 1, 1, repeats)[0])
            measured["threaded"].append(measure_in_processes(engine, model, data_dir, 1, cores, repeats)[0])
            measured["parallel"].append(measure_in_processes(engine, model, data_dir, cores, 1, repeats))
    alone = in_processes(1, measure_adam_alone, models[-1], 1, repeats)[0] if "fast" in engines else None
    return dict(measured, engines=list(engines), models=list(models), cores=cores, repeats=repeats,
                alone=alone, seconds=time.time() - started, environment=environment())


def engine_report(measured):
    """The Markdown report of ``engine_measurements``: speeds, layouts, projected sweeps, targets."""
    engines, models, cores = measured["engines"], measured["models"], measured["cores"]
    keys = [(engine, model) for engine in engines for model in models]
    single, threaded = dict(zip(keys, measured["single"])), dict(zip(keys, measured["threaded"]))
    parallel, alone = dict(zip(keys, measured["parallel"])), measured["alone"]
    lines = _header(measured)
    lines += _speed_table(single, engines, models)
    lines += _layout_table(single, threaded, parallel, cores)
    lines += _projection_table(single, parallel, engines, models, cores)
    lines += _targets(single, threaded, parallel, alone, engines, models, cores)
    return "\n".join(lines) + "\n"


def _header(measured):
    facts, cores = measured["environment"], measured["cores"]
    return ["## Training engines on TensorFlow %s" % facts["tensorflow_version"], "",
            "Every measurement runs in fresh processes (a process's heap size changes the faithful "
            "loop's speed through garbage collection).",
            "Measured side by side in one run (%.1f min)." % (measured["seconds"] / 60),
            "Machine: %s, %d cores; TensorFlow %s, Python %s, numpy %s; XLA_FLAGS: `%s`." % (
                facts["platform"], cores, facts["tensorflow_version"], facts["python_version"],
                facts["numpy_version"], facts["xla_flags"]), "",
            "Examples/s of the fastest of %d chunks of %d batch-1 Adam steps, after a warm-up chunk "
            "(and one unreported warm-up measurement); test = one evaluation "
            "of the %s test examples; set-up = graph, session and the first chunk (which includes "
            "XLA compilation)." % (measured["repeats"], CHUNK, f"{blog.TEST_EXAMPLES:,}"), ""]


def _speed_table(single, engines, models):
    rows = []
    for model in models:
        base = single["faithful", model]["examples_per_second"] if "faithful" in engines else None
        for engine in engines:
            result = single[engine, model]
            rate = result["examples_per_second"]
            rows.append([result["engine"], model, "%.0f" % rate, "%.2fx" % (rate / base) if base else DASH,
                         "%.0f" % (1e6 / rate), "%.2f" % result["test_seconds"],
                         "%.1f" % result["setup_seconds"]])
    header = ["engine", "model", "examples/s", "vs faithful", "us/step", "test (s)", "set-up (s)"]
    return ["### Training speed: one run, one thread", "", table(header, rows), ""]


def _layout_table(single, threaded, parallel, cores):
    rows, wins = [], {}
    for key in single:
        layouts = {"1 run x 1 thread": single[key]["examples_per_second"],
                   "1 run x %d threads" % cores: threaded[key]["examples_per_second"],
                   "%d runs x 1 thread" % cores: sum(r["examples_per_second"] for r in parallel[key])}
        best = max(layouts, key=layouts.get)
        wins[best] = wins.get(best, 0) + 1
        rows.append(list(key) + ["%.0f" % value for value in layouts.values()] + [best])
    choice = max(wins, key=wins.get)
    advice = ("the sweep's defaults (`--jobs` = cores, `--threads` = cores // jobs) are this layout"
              if choice.startswith("%d runs" % cores) else
              "this differs from the sweep's defaults: pass `--jobs` and `--threads` to match it")
    header = ["engine", "model", "1 run x 1 thread", "1 run x %d threads" % cores,
              "%d runs x 1 thread (sum)" % cores, "best"]
    return ["### Using the %d cores" % cores, "",
            "Total examples/s of three ways to use the machine; a sweep runs several runs at once, "
            "one process each.", "", table(header, rows), "",
            "Fastest layout in %d of %d cases: %s; %s." % (wins[choice], len(single), choice, advice), ""]


def _projection_table(single, parallel, engines, models, cores):
    if set(models) != {"central", "multi"}:
        return []
    rows = []
    for engine in engines:
        together = {model: parallel[engine, model][0] for model in models}
        alone = {model: single[engine, model] for model in models}
        rows.append([engine, "%.1f min" % projected_sweep_minutes(together, cores),
                     "%.1f min" % projected_sweep_minutes(alone, 1)])
    return ["### Projected full blog sweep (%d runs x %s steps + %d test evaluations)"
            % (len(BLOG_RUNS), f"{BLOG_STEPS:,}", len(BLOG_RUNS)), "",
            table(["engine", "%d runs at a time, 1 thread each" % cores, "1 run at a time, 1 thread"], rows),
            ""]


SPEED_TARGETS = {1: 5.0, 2: 10.0}  # fast vs faithful examples/s, one thread, by TensorFlow major version
SWEEP_TARGET_MINUTES = {2: 3.0}  # projected default fast sweep, runs in parallel
SWEEP_TARGET_FRACTION = {1: 0.2}  # default fast sweep vs the faithful sweep, projected, runs in parallel


def _major():
    from mtneuron.tf1 import release

    return release()[0]


def _targets(single, threaded, parallel, alone, engines, models, cores):
    """The issue's two targets against the measurements, and the floor the Adam update sets."""
    if not {"faithful", "fast"} <= set(engines):
        return []
    lines, target = ["### Targets", ""], SPEED_TARGETS[_major()]
    for model in models:
        faithful = single["faithful", model]["examples_per_second"]
        ratio = single["fast", model]["examples_per_second"] / faithful
        line = "- %s: fast = %.1fx the faithful loop, one thread each (target %.0fx: %s)" % (
            model, ratio, target, "met" if ratio >= target else "not met")
        best = {engine: max(layout[engine, model]["examples_per_second"] for layout in (single, threaded))
                for engine in ("faithful", "fast")}
        line += "; %.1fx for one run in each engine's fastest thread setting" % (
            best["fast"] / best["faithful"])
        if alone is not None:
            line += "; the Adam update alone would allow at most %.1fx" % (
                alone["examples_per_second"] / faithful)
        lines.append(line + ".")
    if alone is not None:
        lines.append("- Adam alone: the fast engine's update of the %s parameters in the same XLA loop with "
                     "no network (each gradient one broadcast number) runs at %.0f us/step; at batch 1 "
                     "that memory traffic and arithmetic is the floor of a step." % (
                         "{:,}".format(alone["parameters"]), 1e6 / alone["examples_per_second"]))
    if set(models) == {"central", "multi"}:
        lines.append(_sweep_target(parallel, models, cores))
    return lines + [""]


def _sweep_target(parallel, models, cores):
    """The projected default sweep against this TensorFlow's target: minutes, or a fraction of faithful's."""
    minutes = {engine: projected_sweep_minutes({model: parallel[engine, model][0] for model in models}, cores)
               for engine in ("fast", "faithful")}
    fraction = minutes["fast"] / minutes["faithful"]
    line = "- Full default sweep, %d runs at a time, projected: fast %.1f min, faithful %.1f min (1/%.1f)" % (
        cores, minutes["fast"], minutes["faithful"], 1 / fraction)
    if _major() in SWEEP_TARGET_MINUTES:
        limit = SWEEP_TARGET_MINUTES[_major()]
        line += "; target %.0f min: %s" % (limit, "met" if minutes["fast"] <= limit else "not met")
    else:
        limit = SWEEP_TARGET_FRACTION[_major()]
        line += "; target 1/%.0f: %s" % (1 / limit, "met" if fraction <= limit else "not met")
    return line + "; the sweeps' `summary.md` files have the measured wall times."
