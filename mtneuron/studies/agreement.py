"""How far TensorFlow 1.15 and 2.x agree on the blog's faithful loop, from the same seed.

A snapshot, taken in one interpreter, holds per model the data order, the initial parameters,
the first example's forward values and gradients, and the parameters after 1, 10 and 1,100
steps. ``compare`` measures every quantity of two snapshots bit for bit (differing entries,
largest difference, in units in the last place) and finds the first one, in dataflow order,
that differs: the place where the two TensorFlows part.
"""

import platform

import numpy as np

from mtneuron import blog
from mtneuron.run.files import write_npz
from mtneuron.run.interpreter import call_under
from mtneuron.run.records import format_rate

STEPS = (1, 10, blog.AVERAGE_EVERY)  # the last: one point of the curves


def snapshot(datasets, models=blog.MODELS, learning_rate=blog.LEARNING_RATE, seed=blog.SEED, steps=STEPS):
    """``{"model/quantity": array}`` of the faithful loop on this TensorFlow, plus ``meta/*`` strings."""
    from mtneuron.tf1 import tf

    meta = {"tensorflow": tf.version.VERSION, "python": platform.python_version(), "numpy": np.__version__,
            "platform": platform.platform()}
    arrays = {"meta/" + key: np.array(value) for key, value in meta.items()}
    for model in models:
        arrays.update({"%s/%s" % (model, name): value
                       for name, value in _model_snapshot(model, datasets, learning_rate, seed, steps)})
    return arrays


def write_snapshot(path, data_dir, seed, models):
    """Take ``snapshot`` of MNIST from ``data_dir`` (None: the default sources) and write it to ``path``."""
    from mtneuron.data import read_data_sets

    write_npz(path, snapshot(read_data_sets(data_dir), tuple(models), seed=seed))


def snapshot_under(python, path, data_dir, seed, models):
    """``snapshot``'s arrays, taken in a fresh ``python`` process (another TensorFlow) through ``path``."""
    call_under(python, write_snapshot, path=path, data_dir=data_dir, seed=seed, models=list(models))
    with np.load(path) as arrays:
        return {name: arrays[name] for name in arrays.files}


def _model_snapshot(model, datasets, learning_rate, seed, steps):
    """``(name, array)`` pairs of one model, in dataflow order (see ``quantities``)."""
    from mtneuron.blog_runs import RunSpec
    from mtneuron.data import DataSet
    from mtneuron.tf1 import session_config
    from mtneuron.train.engine import FaithfulTrainer

    spec = RunSpec(model=model, learning_rate=learning_rate, seed=seed, engine="faithful")
    trainer = FaithfulTrainer(spec, datasets, session_config(1))
    try:
        names = [parameter.op.name for parameter in trainer.model.parameters]
        order = DataSet(datasets.train.images, datasets.train.labels, seed=seed).next_indices(max(steps))
        yield "order", order
        for name, value in zip(names, trainer.parameters()):
            yield "initial/" + name, value
        yield from _first_example(trainer, datasets.train, order[0], names)
        done = 0
        for count in steps:
            trainer.steps(count - done)
            done = count
            for name, value in zip(names, trainer.parameters()):
                yield "after_%d/%s" % (count, name), value
    finally:
        trainer.close()


def _first_example(trainer, dataset, index, names):
    """The first example's hidden layers, logits, loss and gradients, before any update."""
    from mtneuron.tf1 import tf

    model = trainer.model
    with model.graph.as_default():
        gradients = tf.gradients(model.loss, model.parameters)
    feed = {model.inputs: dataset.images[index].reshape(model.inputs.shape.as_list()),
            model.target: dataset.labels[index:index + 1]}
    hidden, logits, loss, gradients = trainer.session.run(
        [list(model.hidden), model.logits, model.loss, gradients], feed_dict=feed)
    for layer, value in enumerate(hidden, 1):
        yield "forward/hidden_%d" % layer, value
    yield "forward/logits", logits
    yield "forward/loss", np.asarray(loss)
    for name, value in reversed(list(zip(names, gradients))):  # backpropagation's order
        yield "gradient/" + name, value


def compare(reference, candidate):
    """Per model, each quantity's agreement in dataflow order, and the first that differs."""
    result = {"reference": str(reference["meta/tensorflow"]), "candidate": str(candidate["meta/tensorflow"]),
              "environments": [{name[5:]: str(arrays[name]) for name in arrays if name.startswith("meta/")}
                               for arrays in (reference, candidate)], "models": {}}
    for model in sorted({name.split("/")[0] for name in reference if not name.startswith("meta/")}):
        names = [model + "/" + name for name in quantities(reference, model)]
        rows = [dict(quantity=name.split("/", 1)[1], **difference(reference[name], candidate[name]))
                for name in names]
        first = next((row["quantity"] for row in rows if not row["identical"]), None)
        result["models"][model] = {"quantities": rows, "first_difference": first}
    return result


def quantities(arrays, model):
    """A model's quantity names in the snapshot's (dataflow) order."""
    prefix = model + "/"
    return [name[len(prefix):] for name in arrays if name.startswith(prefix)]


def difference(reference, candidate):
    """Bitwise agreement of two arrays: identical, differing entries, largest |difference| and ULPs.

    A float32's ULPs are counted on its bits mapped to a line monotone in the value; an integer's
    ULP is 1.
    """
    reference, candidate = np.asarray(reference), np.asarray(candidate)
    if reference.shape != candidate.shape:
        raise ValueError("shapes differ: %s vs %s" % (reference.shape, candidate.shape))
    bits = [_bits(array) for array in (reference, candidate)]
    ulps = np.abs(_monotone(bits[0], reference) - _monotone(bits[1], candidate))  # 0 between 0.0 and -0.0
    differing = int(np.count_nonzero(bits[0] != bits[1]))
    gap = np.abs(reference.astype(np.float64) - candidate.astype(np.float64))
    return {"shape": list(reference.shape), "identical": differing == 0, "differing": differing,
            "fraction": differing / max(1, reference.size),
            "max_abs": float(gap.max()) if gap.size else 0.0, "max_ulps": int(ulps.max()) if ulps.size else 0}


def _bits(array):
    """A float array's float32 bit patterns, an integer array's values, as int64."""
    if array.dtype.kind == "f":
        return np.ascontiguousarray(array, np.float32).view(np.int32).astype(np.int64)
    return array.astype(np.int64)


def _monotone(bits, array):
    """Bit patterns of float32 values mapped so that neighbouring floats are neighbouring integers."""
    return np.where(bits < 0, -(2 ** 31) - bits, bits) if array.dtype.kind == "f" else bits


def markdown(result, command, wall_time):
    """The comparison as a Markdown report: one table per model and the rule for the first difference."""
    lines = ["# TensorFlow %s against %s: the faithful loop, same seed" % (result["candidate"],
                                                                         result["reference"]), "",
             "Command: `%s` (%.1f min of wall time)" % (command, wall_time / 60), ""]
    lines += ["- " + ", ".join("%s %s" % pair for pair in sorted(environment.items()))
              for environment in result["environments"]]
    lines += ["",
             "Each quantity compared bit for bit (float32); ULPs = units in the last place, the number of "
             "float32 values between the two (huge when they straddle zero). Quantities "
             "are in dataflow order: data order, initial parameters, the first example's forward pass "
             "and gradients (before any update), then the parameters after 1, 10 and 1,100 Adam steps "
             "at learning rate %s." % format_rate(blog.LEARNING_RATE), ""]
    for model, outcome in result["models"].items():
        lines += ["## %s" % model, "", "- " + verdict(outcome), "",
                  "| quantity | shape | identical | differing entries | largest difference | largest ULPs |",
                  "|---|---|---|---|---|---|"]
        lines += [_table_row(row) for row in outcome["quantities"]] + [""]
    return "\n".join(lines)


def _table_row(row):
    shape = "x".join(map(str, row["shape"])) or "scalar"
    return "| %s | %s | %s | %d (%.2g%%) | %.3g | %d |" % (
        row["quantity"], shape, "yes" if row["identical"] else "no", row["differing"], 100 * row["fraction"],
        row["max_abs"], row["max_ulps"])


def verdict(outcome):
    """One sentence: where the two TensorFlows part, stated by the rule that decides it."""
    first = outcome["first_difference"]
    if first is None:
        return "Bit-identical in every quantity, up to the parameters after %d steps." % max(STEPS)
    kind = first.split("/")[0]
    cause = {"order": "the data order", "initial": "the initial weights (random kernels or seeds)",
             "forward": "a forward kernel: its inputs are identical, so the two builds sum in another order",
             "gradient": "a gradient kernel: the forward pass is identical, so the backward pass sums in "
                         "another order",
             "after_1": "the Adam update kernel: parameters and gradients are identical before it"}
    return "The first difference is %s; its cause, by where it appears: %s." % (
        first, cause.get(kind, "a later example: every earlier step was identical, so a kernel sums one "
                               "of the later examples in another order"))
