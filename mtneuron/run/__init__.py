"""Running studies, with no TensorFlow: run records and specs, the sweep (worker processes, Ray), atomic
files, TensorBoard HParams, calling another interpreter, statistics and Markdown."""
