"""The cases test_keras.py compares, computed in processes of their own: the TF1 layers (``mtneuron.layers``,
which turn TensorFlow's v2 behaviour off for their process) and the Keras 3 layers on one backend.

Each case is a layer's weights, an input and an upstream gradient; each side writes the outputs and the
gradients of ``sum(outputs * upstream)`` with respect to the input and every weight, in one ``.npz``.
"""

import os

import numpy as np

DENSE = {"relu": ("relu", False), "relu_thresholds": ("relu", True), "sigmoid_thresholds": ("sigmoid", True)}
CONV = {"same_1": ("same", 1), "valid_2": ("valid", 2)}  # padding, stride: ReLU, no thresholds (as TF1's)


def arrays(case):
    """The case's input, weights (kernel[, thresholds], bias) and upstream gradient, drawn from its name."""
    rng = np.random.RandomState(sum(map(ord, case)))
    if case in DENSE:
        inputs, shape = rng.randn(5, 7), (7, 4)
    else:
        inputs, shape = rng.randn(2, 9, 9, 3), (3, 3, 3, 4)
    weights = [rng.randn(*shape)] + ([0.3 * rng.randn(*shape)] if DENSE.get(case, ("", False))[1] else [])
    weights.append(rng.randn(shape[-1]))
    return [value.astype(np.float32) for value in [inputs] + weights]


def tf1_reference(path):
    """Every case through ``mtneuron.layers`` (TF1 graph mode) into ``path``."""
    from mtneuron import layers
    from mtneuron.tf1 import tf

    results = {}
    for case in list(DENSE) + list(CONV):
        inputs, *weights = [tf.constant(value) for value in arrays(case)]
        if case in DENSE:
            activation, thresholds = DENSE[case]
            chosen, function = weights[1] if thresholds else None, getattr(tf.nn, activation)
            outputs = layers.multi_threshold_dense(inputs, weights[0], weights[-1], function, chosen)
        else:
            padding, stride = CONV[case]
            outputs = layers.multi_threshold_conv2d(inputs, weights[0], stride, padding.upper(), weights[1])
        upstream = tf.constant(np.random.RandomState(1).randn(*outputs.shape.as_list()).astype(np.float32))
        gradients = tf.gradients(tf.reduce_sum(outputs * upstream), [inputs] + weights)
        with tf.Session() as session:
            _store(results, case, session.run([outputs] + gradients))
    np.savez(path, **results)


def keras_values(path):
    """Every case through ``mtneuron.keras`` on the backend of ``KERAS_BACKEND`` into ``path``."""
    import keras

    from mtneuron.keras import MultiThresholdConv2D, MultiThresholdDense

    results = {}
    for case in list(DENSE) + list(CONV):
        inputs, *weights = arrays(case)
        if case in DENSE:
            layer = MultiThresholdDense(4, activation=DENSE[case][0], thresholds=DENSE[case][1])
        else:
            layer = MultiThresholdConv2D(4, 3, strides=CONV[case][1], padding=CONV[case][0])
        layer.build(inputs.shape)
        layer.set_weights(weights)
        outputs = keras.ops.convert_to_numpy(layer(inputs))
        upstream = np.random.RandomState(1).randn(*outputs.shape).astype(np.float32)
        _store(results, case, [outputs] + GRADIENTS[keras.backend.backend()](layer, inputs, upstream))
    np.savez(path, **results)


def naive_conv(inputs, kernel, thresholds, bias, activation):
    """``out[b, y, x, f] = sum act(K * patch - T) + b``, 'valid' padding, stride 1, by loops."""
    kh, kw, _, filters = kernel.shape
    height, width = inputs.shape[1] - kh + 1, inputs.shape[2] - kw + 1
    outputs = np.zeros((inputs.shape[0], height, width, filters))
    for y in range(height):
        for x in range(width):
            patch = inputs[:, y:y + kh, x:x + kw, :, None]
            outputs[:, y, x] = activation(patch * kernel - thresholds).sum(axis=(1, 2, 3))
    return outputs + bias


def thresholded_convolution():
    """The thresholded sigmoid convolution against ``naive_conv``."""
    import keras

    from mtneuron.keras import MultiThresholdConv2D

    rng = np.random.RandomState(3)
    inputs = rng.randn(2, 6, 5, 3).astype(np.float32)
    weights = [rng.randn(3, 2, 3, 4), 0.3 * rng.randn(3, 2, 3, 4), rng.randn(4)]
    layer = MultiThresholdConv2D(4, (3, 2), activation="sigmoid", thresholds=True)
    layer.build(inputs.shape)
    layer.set_weights([value.astype(np.float32) for value in weights])
    expected = naive_conv(inputs, *weights, activation=lambda value: 1 / (1 + np.exp(-value)))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer(inputs)), expected, rtol=1e-4, atol=1e-4)


def model_round_trip(directory):
    """A model with both layers trains (its loss falls), saves and loads to the same predictions."""
    import keras as keras3

    from mtneuron.keras import MultiThresholdConv2D, MultiThresholdDense

    keras3.utils.set_random_seed(0)  # the initial weights too: the loss must fall on every run
    rng = np.random.RandomState(0)
    images, labels = rng.rand(64, 8, 8, 1).astype(np.float32), rng.randint(0, 3, 64)
    model = keras3.Sequential([keras3.Input((8, 8, 1)), MultiThresholdConv2D(4, 3, padding="same"),
                               keras3.layers.Flatten(), MultiThresholdDense(8, thresholds=True),
                               keras3.layers.Dense(3)])
    model.compile("adam", keras3.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(images, labels, epochs=3, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    path = os.path.join(directory, "model.keras")
    model.save(path)
    loaded = keras3.models.load_model(path)
    assert [type(layer).__name__ for layer in loaded.layers][:3] == [
        "MultiThresholdConv2D", "Flatten", "MultiThresholdDense"]
    assert loaded.layers[2].get_config()["thresholds"] is True
    np.testing.assert_allclose(loaded.predict(images, verbose=0), model.predict(images, verbose=0), rtol=1e-5)


def _tensorflow_gradients(layer, inputs, upstream):
    import tensorflow as tf

    inputs = tf.constant(inputs)
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        loss = tf.reduce_sum(layer(inputs) * upstream)
    return [np.asarray(value) for value in tape.gradient(loss, [inputs] + layer.trainable_weights)]


def _jax_gradients(layer, inputs, upstream):
    import jax

    def loss(inputs, trainable):
        outputs, _ = layer.stateless_call(trainable, [], inputs)
        return (outputs * upstream).sum()

    trainable = [variable.value for variable in layer.trainable_weights]
    gradient_inputs, gradient_weights = jax.grad(loss, argnums=(0, 1))(inputs, trainable)
    return [np.asarray(gradient_inputs)] + [np.asarray(value) for value in gradient_weights]


def _torch_gradients(layer, inputs, upstream):
    import torch

    inputs = torch.tensor(inputs, requires_grad=True)
    loss = (layer(inputs) * torch.tensor(upstream)).sum()
    weights = [variable.value for variable in layer.trainable_weights]
    gradients = torch.autograd.grad(loss, [inputs] + weights)
    return [value.detach().numpy() for value in gradients]


GRADIENTS = {"tensorflow": _tensorflow_gradients, "jax": _jax_gradients, "torch": _torch_gradients}


def _store(results, case, values):
    for index, value in enumerate(values):
        results["%s_%d" % (case, index)] = value


def derived_statistics():
    """``derive_init`` starts each ReLU multi-threshold layer of a Sequential near mean 0 and variance 1 on
    other images of the same kind (sparse pixels in [0, 1]); He's init leaves the second far off."""
    import keras

    from mtneuron.keras import MultiThresholdDense, derive_init

    rng = np.random.RandomState(0)
    images = (rng.rand(3000, 196) * (rng.rand(3000, 196) < 0.2)).astype(np.float32)
    model = keras.Sequential([keras.Input((196,)), MultiThresholdDense(64), MultiThresholdDense(32),
                              keras.layers.Dense(10)])
    second = keras.ops.convert_to_numpy(model.layers[1](model.layers[0](images[1000:])))
    assert np.mean(second) > 3  # He's init
    derive_init(model, images[:1000])
    first = keras.ops.convert_to_numpy(model.layers[0](images[1000:]))
    second = keras.ops.convert_to_numpy(model.layers[1](first))
    for values in (first, second):
        assert abs(np.mean(values)) < 0.2 and 0.7 < np.var(values) < 1.4, (np.mean(values), np.var(values))
