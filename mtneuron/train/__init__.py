"""Training: every engine of the blog's run (faithful, exact, fast) and the driver they share,
checkpoints, and the minibatch networks' training loop. Needs TensorFlow."""
