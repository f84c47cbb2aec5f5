"""Benchmarks, each measured side by side in one run on one machine and written as Markdown: the engines
(``engines``), both TensorFlows against the blog's own loop (``peer``), the batched layers (``layers``) and
the comparison's networks (``networks``)."""
