"""Side-by-side speed of one training step of every minibatch network the studies train, as Markdown.

Each case builds the network as ``networks.build_graph`` does for a study (scaled init), feeds a
batch of MNIST training images and labels through its placeholders, and times ``train_op`` (forward,
backward and Adam's update) in a fresh process with one thread, as a sweep's runs use the machine.
The floor is one XLA-compiled pass over the MLP's per-synapse terms (``x W - T``, ReLU, summed): the
least any per-synapse step pays, which needs a forward pass and a backward one.
"""

import numpy as np

from mtneuron import blog, networks
from mtneuron.run.markdown import table
from mtneuron.run.pool import in_processes
from mtneuron.studies.benchmarks.engines import timings
from mtneuron.train import minibatch

NETWORK_BATCHES = (32, 128)
NETWORKS = (("mlp", "central"), ("mlp", "multi"), ("mlp", "relu_thresholds"), ("mlp", "heaviside"),
            ("mlp", "sigmoid"), ("cnn", "central"), ("cnn", "multi"), ("linear", "linear"))
THRESHOLDED = tuple(kind for kind in networks.THRESHOLDED if ("mlp", kind) in NETWORKS)  # measured
PER_SYNAPSE_TARGET = 15.0  # a per-synapse MLP step at batch 128 at most this times a multi ReLU step (TF 2.x)


def _batch(data_dir, batch):
    from mtneuron import data

    train = data.read_data_sets(data_dir).train
    return train.images[:batch], train.labels[:batch]


def measure_network(architecture, kind, batch, data_dir=None, repeats=10):
    """Seconds of one training step (the fastest of ``repeats``, after two warm-up steps)."""
    from mtneuron import xla
    from mtneuron.tf1 import session_config, tf

    config = session_config(1)
    xla.available(config)  # the first session sizes the thread pools: one thread, as in a sweep
    model = networks.build_graph(architecture, kind, "scaled")
    images, labels = _batch(data_dir, batch)
    feed = {model.inputs: images, model.target: labels}
    with tf.Session(graph=model.graph, config=config) as session:
        session.run(model.init)
        for _ in range(2):
            session.run(model.train_op, feed)
        seconds = timings(lambda: session.run(model.train_op, feed), repeats)
    return {"architecture": architecture, "kind": kind, "batch": batch, "seconds": min(seconds)}


def measure_floor(batch, data_dir=None, repeats=10):
    """Seconds of one compiled pass over the MLP's per-synapse terms: ``sum_i relu(x_bi W_ij - T_ij)``
    of both hidden layers, forward only, the images and a random second layer's input fed."""
    from mtneuron import synapses, xla
    from mtneuron.tf1 import session_config, tf

    config = session_config(1)
    xla.available(config)
    sizes = (blog.INPUT_SIZE,) + blog.HIDDEN_SIZES
    rng, graph = np.random.RandomState(0), tf.Graph()
    with graph.as_default():
        inputs = [tf.placeholder(tf.float32, (batch, size)) for size in sizes[:-1]]
        sums = [synapses.compiled_sums(layer_inputs, tf.Variable(tf.random_normal((units_in, units_out))),
                                       tf.Variable(tf.random_normal((units_in, units_out))), tf.nn.relu)
                for layer_inputs, units_in, units_out in zip(inputs, sizes[:-1], sizes[1:])]
        init = tf.global_variables_initializer()
    feed = {inputs[0]: _batch(data_dir, batch)[0], inputs[1]: rng.rand(batch, sizes[1]).astype(np.float32)}
    with tf.Session(graph=graph, config=config) as session:
        session.run(init)
        session.run(sums, feed)
        seconds = timings(lambda: session.run(sums, feed), repeats)
    terms = batch * sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    return {"batch": batch, "seconds": min(seconds), "terms": terms}


def network_measurements(batches=NETWORK_BATCHES, data_dir=None, repeats=10):
    """Every network at every batch size and the floor at each, each case in a fresh process; JSON-ready,
    so another TensorFlow's interpreter can measure and hand them back (``interpreter.call_under``)."""
    minibatch.prefer_onednn()  # as the studies train them, before TensorFlow loads; processes inherit it
    from mtneuron.train.recording import environment
    steps = [in_processes(1, measure_network, architecture, kind, batch, data_dir, repeats)[0]
             for batch in batches for architecture, kind in NETWORKS]
    floors = [in_processes(1, measure_floor, batch, data_dir, repeats)[0] for batch in batches]
    return {"steps": steps, "floors": floors, "environment": environment()}


def network_report(measured):
    """Markdown: ms per step, ratios to the multi ReLU and central MLP steps, the floor, the target."""
    steps = {(step["architecture"], step["kind"], step["batch"]): step for step in measured["steps"]}
    rows = []
    for (architecture, kind, batch), result in steps.items():
        multi, central = (steps["mlp", name, batch]["seconds"] for name in ("multi", "central"))
        rows.append([_NAMES[architecture], kind, "%d" % batch, "%.2f" % (1e3 * result["seconds"]),
                     "%.1fx" % (result["seconds"] / multi), "%.1fx" % (result["seconds"] / central)])
    lines = ["## Minibatch networks on TensorFlow %s: one training step" % measured["environment"][
                 "tensorflow_version"], "",
             "Forward, backward and Adam's update of each network the studies train (scaled init), a batch "
             "of MNIST training images fed through placeholders; the fastest of the timed steps, one "
             "thread, each case in a fresh process, oneDNN on as in the studies.", "",
             table(["network", "hidden neurons", "batch", "ms/step", "vs multi ReLU MLP", "vs central MLP"],
                   rows), "", "### The per-synapse floor", ""]
    for floor in measured["floors"]:
        batch = floor["batch"]
        per_synapse = [steps["mlp", kind, batch]["seconds"] for kind in THRESHOLDED]
        lines.append("- Batch %d: one compiled pass over the MLP's %s per-synapse terms (`x W - T`, ReLU, "
                     "summed) takes %.2f ms (%.2f ns a term); a per-synapse step, which needs a forward and "
                     "a backward pass, takes %.1f-%.1f passes." % (
                         batch, "{:,}".format(floor["terms"]), 1e3 * floor["seconds"],
                         1e9 * floor["seconds"] / floor["terms"], min(per_synapse) / floor["seconds"],
                         max(per_synapse) / floor["seconds"]))
    return "\n".join(lines + [""] + _target_lines(steps)) + "\n"


_NAMES = {"mlp": "MLP", "cnn": "CNN", "linear": "Linear"}


def _target_lines(steps):
    """The per-synapse target at batch 128 (set for TF 2.x; reported on every TensorFlow)."""
    if ("mlp", "multi", 128) not in steps:
        return []
    multi = steps["mlp", "multi", 128]["seconds"]
    ratios = {kind: steps["mlp", kind, 128]["seconds"] / multi for kind in THRESHOLDED}
    return ["### Target", "", "- Per-synapse MLP step at batch 128 vs a multi ReLU step: %s (target <= %.0fx "
            "on TF 2.x: %s)." % (", ".join("%s %.1fx" % item for item in ratios.items()), PER_SYNAPSE_TARGET,
                                 "met" if max(ratios.values()) <= PER_SYNAPSE_TARGET else "not met"), ""]
