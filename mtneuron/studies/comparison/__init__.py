"""Is the multi-threshold neuron any good? Every neuron at its own best learning rate and init.

A cell is a network, a hidden neuron, an init and a batch size (``config.Cell``). Its learning rate is chosen
on the validation set from a log grid: one run per rate with the search's own seed, the best validation
accuracy wins (``runs.chosen_rate``); a cell whose best rate lies on an end of the grid searches past it. The
chosen rate is then trained with every final seed and scored on the test set, which only the report reads.
Every run stops early on the validation set; a final run that hit the cap trains again at twice the cap, the
same seed and rate. ``plan.stages`` yields the runs in that order, each stage planned from the records the
earlier ones left; ``report.write_report`` writes ``summary.md`` and the figures.

Modules: ``config`` (the design: one ``Settings``), ``plan`` (the runs to train), ``runs`` (what the records
say of a cell), ``init_check`` (hidden layers at initialisation, the one module that runs TensorFlow),
``report`` and ``figures``. Only ``init_check`` imports TensorFlow, and only when called.
"""
