"""The init check: mean and variance of every hidden layer at initialisation, for each per-synapse neuron
and init of the study, on real images (TensorFlow is imported when it runs)."""

import os

import numpy as np

from mtneuron.run import records
from mtneuron.studies.comparison.config import PAPER_NEURONS, SEEDS

FILENAME = "init_check.json"


def init_check(calibration, images, seed=SEEDS[0]):
    """Mean and variance of every hidden layer's outputs at initialisation on ``images``, for each
    per-synapse neuron and init of the study; ``derived`` layers are set on the ``calibration`` images
    (``networks.derive_init``), which it promises to centre with unit variance (ReLU)."""
    from mtneuron import networks

    chosen = [("mlp", "multi", init) for init in ("scaled", "derived", "positive")]
    chosen += [("cnn", "multi", "derived")] + [("mlp", kind, "derived") for kind in PAPER_NEURONS]
    chosen += [("mlp", "central", "scaled")]
    return [dict(architecture=architecture, kind=kind, init=init, images=len(images),
                 layers=_layer_statistics(networks.build_graph(architecture, kind, init, seed=seed),
                                          calibration, images))
            for architecture, kind, init in chosen]


def _layer_statistics(model, calibration, images):
    """``{"mean", "variance"}`` of each hidden output of ``model`` over ``images`` and units."""
    from mtneuron import networks
    from mtneuron.tf1 import tf

    with tf.Session(graph=model.graph) as session:
        session.run(model.init)
        networks.derive_init(session, model, calibration)
        outputs = session.run(model.hidden, {model.inputs: images})
    return [{"mean": float(np.mean(output, dtype=np.float64)),
             "variance": float(np.var(output, dtype=np.float64))} for output in outputs]


def write_init_check(data_dir, out_dir, count=1000):
    """Run ``init_check`` on ``count`` training images after the calibration images, into
    ``init_check.json``; return its path."""
    from mtneuron import data, networks

    path = os.path.join(out_dir, FILENAME)
    images = data.read_data_sets(data_dir).train.images
    first = networks.CALIBRATION_IMAGES
    records.write_json(path, {"checks": init_check(images[:first], images[first:first + count])})
    return path
