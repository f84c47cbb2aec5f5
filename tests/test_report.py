"""mtneuron.report on records made without training: the reading against a reference sweep."""

from mtneuron import report
from tests.helpers import fake_record


def sweep(accuracies, engine, minutes):
    """Records of one seed's blog sweep with the given test accuracies, all within ``minutes``."""
    runs = []
    for (model, rate), accuracy in accuracies.items():
        run = fake_record(model, rate, 21, accuracy)
        run.update(engine=engine, started_at=1.7e9, finished_at=1.7e9 + 60 * minutes)
        runs.append(run)
    return runs


def test_reading_against_a_reference_counts_close_cells_failures_winners_and_speed():
    reference = sweep({("central", 0.001): 0.90, ("multi", 0.001): 0.89,
                       ("central", 0.01): 0.10, ("multi", 0.01): 0.80}, "faithful", 12.0)
    runs = sweep({("central", 0.001): 0.885, ("multi", 0.001): 0.905,
                  ("central", 0.01): 0.11, ("multi", 0.01): 0.85}, "fast", 2.0)
    findings = report.reference_reading(runs, reference)
    assert findings[0].startswith("3 of 4 test accuracies are within 0.02 of the faithful run's")
    assert "largest +0.0500 (Multi-threshold at 0.01)" in findings[0]
    assert findings[1].endswith("agrees.") and "Central-threshold at 0.01 here" in findings[1]
    assert findings[2] == "The better model at a learning rate is the same in 1 of 2 rates."
    assert findings[3] == ("These runs took 2.0 min of wall time (fast), the reference runs 12.0 min "
                           "(faithful): 6.0x faster.")
    assert report.reference_reading(runs, []) == []


def test_the_reference_table_puts_each_run_beside_the_same_run_of_every_reference():
    rates = {("central", 0.001): 0.90, ("multi", 0.001): 0.89}
    tf1, tf2, here = (sweep(rates, engine, 1.0) for engine in ("faithful", "faithful", "fast"))
    for run in tf1:
        run.update(tensorflow_version="1.15.5", accuracy=run["accuracy"] - 0.01)
    del tf2[0]  # a run missing from one reference has no row
    table = report.reference_table(here, [tf1, tf2])
    assert table.count("\n") == 2
    row = ("| 0.001 | Multi-threshold | 21 | faithful, TF 1.15.5 / faithful / fast "
           "| 0.8800 / 0.8900 / 0.8900 |")
    assert row in table
