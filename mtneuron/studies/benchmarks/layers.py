"""The batched layers' speed and memory against a dense layer and ``tf.nn.conv2d``, as Markdown.

Each case runs one forward and backward pass in a fresh process, its inputs and a random upstream
gradient fed through placeholders: nothing is constant, so Grappler cannot fold any of the work
before the clock starts. One thread; the median of ``repeats`` passes; extra memory is the peak
resident set size during the passes minus the one before them.
"""

import collections

import numpy as np

from mtneuron import blog
from mtneuron.run.markdown import DASH, table
from mtneuron.run.pool import spawn_pool
from mtneuron.studies.benchmarks.engines import timings

LAYER_BATCHES = (1, 32, 128, 1024)
DENSE_VARIANTS = ("dense", "identity", "non-negative", "per-synapse", "per-synapse chunked",
                  "naive broadcast")
CONV_VARIANTS = ("conv2d", "multi-threshold conv2d")
# The issues' targets: (variant, "seconds" or "extra_mib", at most this ratio to the baseline layer,
# at these batch sizes or, for None, at every measured one, the baseline: None for the variant's own).
LAYER_TARGETS = (("identity", "seconds", 2.2, (128, 1024), None),
                 ("non-negative", "seconds", 1.2, (128, 1024), None),
                 ("multi-threshold conv2d", "seconds", 2.5, None, None),
                 ("identity", "extra_mib", 3.0, (1024,), None),
                 ("non-negative", "extra_mib", 3.0, (1024,), None),
                 ("per-synapse", "extra_mib", 1.0, (1024,), "per-synapse chunked"))
LayerCase = collections.namedtuple("LayerCase", ["graph", "gradients", "upstream", "feed", "init"])


def _layer_case(variant, batch):
    """The graph of one forward+backward pass and the numpy arrays to feed it, made once.

    Inputs and a random upstream gradient are fed through placeholders, and the kernel and bias are
    variables with random initial values: a constant input or a summed output (whose gradient is a
    constant of ones) would let Grappler fold products at graph-optimisation time, before any timing.
    """
    from mtneuron.tf1 import tf

    rng = np.random.RandomState(0)
    conv = variant in CONV_VARIANTS
    shapes = ([(batch,) + blog.IMAGE_SHAPE + (1,), (5, 5, 1, 32)] if conv
              else [(batch, blog.INPUT_SIZE), (blog.INPUT_SIZE, blog.HIDDEN_SIZES[0])])
    values = rng.rand(*shapes[0]) if conv else rng.randn(*shapes[0])
    values = np.abs(values) if variant == "non-negative" else values
    graph = tf.Graph()
    with graph.as_default():
        inputs = tf.placeholder(tf.float32, shapes[0], name="inputs")
        kernel = tf.Variable(tf.random_normal(shapes[1], seed=0), name="kernel")
        bias = tf.Variable(tf.random_normal(shapes[1][-1:], seed=1), name="bias")
        outputs = (_conv_variant if conv else _dense_variant)(variant, inputs, kernel, bias)
        upstream = tf.placeholder(tf.float32, outputs.shape, name="upstream")
        gradients = tf.gradients(outputs, [inputs, kernel, bias], grad_ys=upstream)
        init = tf.global_variables_initializer()
    feed = {inputs: values.astype(np.float32),
            upstream: rng.randn(*outputs.shape.as_list()).astype(np.float32)}
    return LayerCase(graph, gradients, upstream, feed, init)


def measure_layer(variant, batch, repeats=20):
    """Seconds of one forward+backward pass (median) and the extra peak memory it takes, in MiB.

    Runs in its own process (see ``layer_report``): the peak resident set size after the passes,
    minus the one before them, is what the passes needed.
    """
    import resource

    from mtneuron.tf1 import session_config, tf

    case = _layer_case(variant, batch)
    with tf.Session(graph=case.graph, config=session_config(1)) as session:
        session.run(case.init)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        session.run(case.gradients, case.feed)
        seconds = timings(lambda: session.run(case.gradients, case.feed), repeats)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"variant": variant, "batch": batch, "seconds": float(np.median(seconds)),
            "extra_mib": (after - before) / 1024.0}


def _conv_variant(variant, inputs, kernel, bias):
    from mtneuron import layers
    from mtneuron.tf1 import tf

    if variant == "conv2d":
        return tf.nn.relu(tf.nn.conv2d(inputs, kernel, [1, 1, 1, 1], "SAME") + bias)
    return layers.multi_threshold_conv2d(inputs, kernel, [1, 1, 1, 1], "SAME", bias)


def _dense_variant(variant, inputs, kernel, bias):
    from mtneuron import layers, synapses
    from mtneuron.tf1 import tf

    if variant == "dense":
        return tf.nn.relu(tf.matmul(inputs, kernel) + bias)
    if variant == "naive broadcast":
        return tf.reduce_sum(tf.nn.relu(inputs[:, :, None] * kernel[None]), axis=1) + bias
    if variant.startswith("per-synapse"):  # the paper's neuron: a threshold per synapse, the Heaviside step
        thresholds = tf.Variable(0.1 * tf.random_normal(kernel.shape, seed=2), name="thresholds")
        if variant == "per-synapse chunked":  # the path taken where there is no XLA
            return synapses.chunked_sums(inputs, kernel, thresholds, layers.heaviside_step) + bias
        return layers.multi_threshold_dense(inputs, kernel, bias, layers.heaviside_step, thresholds)
    return layers.multi_threshold_dense(inputs, kernel, bias, nonnegative_inputs=variant == "non-negative")


def _baseline(variant):
    """The layer a variant is compared with: the convolution or the dense layer."""
    return "conv2d" if variant in CONV_VARIANTS else "dense"


def _layer_ratio(results, variant, batch, key, baseline=None):
    """``results[variant, batch][key]`` over its baseline's (``_baseline``'s unless given) at the same
    batch; None if that is not > 0."""
    base = results[baseline or _baseline(variant), batch][key]
    return results[variant, batch][key] / base if base > 0 else None


def layer_target_lines(results):
    """Markdown lines: each of ``LAYER_TARGETS`` against ``results[variant, batch]``, met or not met."""
    lines = []
    for variant, key, limit, batches, baseline in LAYER_TARGETS:
        measured = sorted(batch for name, batch in results if name == variant)
        for batch in measured if batches is None else batches:
            what = "time" if key == "seconds" else "extra memory"
            ratio = _layer_ratio(results, variant, batch, key, baseline) if batch in measured else None
            verdict = ("%.2fx %s (target <= %.1fx: %s)" % (ratio, baseline or _baseline(variant), limit,
                                                            "met" if ratio <= limit else "not met")
                       if ratio is not None else "not measured (target <= %.1fx)" % limit)
            lines.append("- %s, batch %d, %s: %s" % (variant, batch, what, verdict))
    return lines


def layer_report(batches=LAYER_BATCHES, conv_batches=(32, 128), repeats=20):
    """Markdown: forward+backward time and extra memory of each layer variant, ratios to the dense layer."""
    cases = [(variant, batch) for batch in batches for variant in DENSE_VARIANTS]
    cases += [(variant, batch) for batch in conv_batches for variant in CONV_VARIANTS]
    results = {}
    for variant, batch in cases:  # one fresh process each: a clean peak-memory reading
        with spawn_pool(1) as pool:
            results[variant, batch] = pool.submit(measure_layer, variant, batch, repeats).result()
    rows = []
    for variant, batch in cases:
        result = results[variant, batch]
        memory = _layer_ratio(results, variant, batch, "extra_mib")
        rows.append([variant, "%d" % batch, "%.3f" % (1e3 * result["seconds"]),
                     "%.2fx" % _layer_ratio(results, variant, batch, "seconds"), "%.1f" % result["extra_mib"],
                     DASH if memory is None else "%.2fx" % memory])
    lines = ["## Layers: forward + backward, %d x %d and 5x5x1x32 convolution"
             % (blog.INPUT_SIZE, blog.HIDDEN_SIZES[0]), "",
             "identity: the multi-threshold ReLU layer's two products; non-negative: its one product on "
             "inputs >= 0; per-synapse: a threshold per synapse and the Heaviside step, XLA-compiled (and "
             "chunked: the path taken without XLA); naive broadcast: ReLU through the whole (batch, in, "
             "out) tensor.", "",
             "Median of %d passes (gradients w.r.t. inputs, kernel and bias of a random upstream gradient; "
             "inputs and upstream gradient fed through placeholders, so that nothing is folded before "
             "the passes run), one thread, each case in a fresh process; extra memory = peak resident "
             "set size during the passes minus before them." % repeats, "",
             table(["layer", "batch", "ms", "vs dense", "extra MiB", "memory vs dense"], rows), "",
             "### Layer targets", ""] + layer_target_lines(results)
    return "\n".join(lines) + "\n"
