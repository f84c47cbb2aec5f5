"""Every fact of the blog's experiment, defined once: "Multi-threshold Neuron Model" (GoDataDriven,
March 2018) and the notebook its author published with it.

Specs, commands, graphs and reports take their defaults from here, so a fact changes in one
place. Nothing here imports TensorFlow.
"""

# The networks: 784 -> 251 -> 87 -> 10, every weight and bias N(0, 1).
MODELS = ("central", "multi")
INPUT_SIZE = 784
IMAGE_SHAPE = (28, 28)
HIDDEN_SIZES = (251, 87)
NUM_CLASSES = 10

# The training: batch size 1, Adam, four epochs of the 55,000 training examples.
LEARNING_RATES = (0.0005, 0.001, 0.005, 0.01)
LEARNING_RATE = 0.001  # a single run's default, the blog's best central-threshold rate
SEED = 21  # np.random.seed(21) and tf.set_random_seed(21)
EPOCHS = 4
TRAIN_EXAMPLES = 55000
VALIDATION_EXAMPLES = 5000  # the first 5,000 training images, held out
TEST_EXAMPLES = 10000
AVERAGE_EVERY = 1100  # examples per point of the curves: 55,000 // 50
POINTS_PER_EPOCH = TRAIN_EXAMPLES // AVERAGE_EVERY

# The engines that train the blog's networks; the default is the fastest with the same updates.
ENGINES = ("faithful", "exact", "fast")
DEFAULT_ENGINE = "fast"

# What the blog reports: test accuracy, one run per cell, and the last point of each curve.
TEST_ACCURACY = {
    ("central", 0.0005): 0.8571, ("central", 0.001): 0.8958,
    ("central", 0.005): 0.2554, ("central", 0.01): 0.1028,
    ("multi", 0.0005): 0.8757, ("multi", 0.001): 0.8879,
    ("multi", 0.005): 0.9085, ("multi", 0.01): 0.773,
}
FINAL_TRAIN = {  # (accuracy, loss): means over the final 1,100 training examples
    ("central", 0.0005): (0.838, 0.64), ("central", 0.001): (0.907, 0.40),
    ("central", 0.005): (0.265, 2.15), ("central", 0.01): (0.099, 2.31),
    ("multi", 0.0005): (0.856, 106.4), ("multi", 0.001): (0.886, 34.3),
    ("multi", 0.005): (0.892, 0.51), ("multi", 0.01): (0.811, 1.02),
}
SETTINGS = {"n_epochs": EPOCHS, "n_examples": TRAIN_EXAMPLES, "hidden_sizes": list(HIDDEN_SIZES),
            "average_every": AVERAGE_EVERY, "test_examples": TEST_EXAMPLES}

# The figures: labels and colours of the two neurons, titles.
LABELS = {"central": "Central-threshold", "multi": "Multi-threshold"}
COLORS = {"central": "tab:blue", "multi": "tab:orange"}
CURVES_TITLE = "Learning curves for loss and accuracy"
BARS_TITLE = "Test accuracy by learning rate and neuron type"
