"""The claims study: do the blog's claims hold over seeds and a wide learning-rate grid, and, with the
comparison study's records, against each neuron at its best?

Everything is computed from run records: the figures, the numbers and each verdict, by the rules stated
next to the verdict in ``claims.md``. Models are compared seed by seed (a seed fixes both models' data order
and initial draws). Modules: ``measurements`` (what the records measured), ``figures``, ``blog_claims``
(C1-C6, the claims study's own runs), ``comparison_claims`` (C7-C11), ``verdicts`` (one vocabulary),
``report`` (``claims.md``). Imports no TensorFlow.
"""
