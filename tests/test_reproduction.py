"""mtneuron.studies.report on records made without training: tables, readings, references and figures."""

import os

import numpy as np
import pytest
from matplotlib.container import BarContainer
from matplotlib.image import imread

from mtneuron import blog, blog_runs
from mtneuron.run import files, records
from mtneuron.studies.reproduction import figures, report
from tests.helpers import fake_record

# Test accuracies of one seed's blog sweep: close to the blog's, except central at 0.0005 (+0.05)
# and the winner at 0.001, which flips.
ONE_SEED = {("central", 0.0005): 0.9071, ("multi", 0.0005): 0.88, ("central", 0.001): 0.88,
            ("multi", 0.001): 0.89, ("central", 0.005): 0.26, ("multi", 0.005): 0.90,
            ("central", 0.01): 0.11, ("multi", 0.01): 0.78}


def sweep(accuracies, engine="fast", minutes=1.0, seed=blog.SEED):
    """Records of one seed's sweep with the given test accuracies, all within ``minutes``."""
    runs = []
    for (model, rate), accuracy in accuracies.items():
        run = fake_record(model, rate, seed, accuracy)
        run.update(engine=engine, started_at=1.7e9, finished_at=1.7e9 + 60 * minutes)
        runs.append(run)
    return runs


def blog_shaped(runs):
    """``runs`` with the blog's settings: curves of one point per 1,100 examples."""
    for run in runs:
        run.update(average_every=blog.AVERAGE_EVERY, losses=run["losses"] * 50,
                   accuracies=run["accuracies"] * 50)
    return runs


def several_seeds(seeds=(1, 2, 3)):
    return [run for seed in seeds for run in sweep({cell: accuracy + seed / 100 for cell, accuracy
                                                    in ONE_SEED.items()}, seed=seed)]


def test_the_test_accuracy_table_puts_each_cell_beside_the_blogs():
    runs = sweep(ONE_SEED)
    runs[-1].update(diverged=True)
    table = report.test_accuracy_table(runs).split("\n")
    assert table[0] == "| learning rate | model | blog | reproduced | difference |" and len(table) == 10
    assert "| 0.0005 | Central-threshold | 0.8571 | 0.9071 | +0.0500 |" in table
    assert "| 0.01 | Multi-threshold | 0.7730 | 0.7800 (diverged) | +0.0070 |" in table


def test_over_several_seeds_the_table_places_every_blog_number():
    text = report.summary_markdown(several_seeds())
    assert "| seeds | sd | min - max | 95% CI | the blog's number |" in text
    assert text.count("| 3 |") == 8 and "below all 3" in text and "mean of 3 seeds" in text
    assert "| 0.001 | Central-threshold | 0.8958 | 0.9000 | +0.0042 | 3 | 0.0100 | 0.8900 - 0.9100 |" in text


def test_a_learning_rate_the_blog_did_not_run_has_dashes_for_the_blog():
    runs = sweep({("multi", 0.02): 0.5})
    assert "| 0.02 | Multi-threshold | – | 0.5000 | – |" in report.test_accuracy_table(runs)
    assert "| 0.02 | Multi-threshold | – | 0.500 | – | 1.00 |" in report.final_point_table(runs)
    assert report.reading(runs) == ["None of these learning rates is one of the blog's, so there is nothing "
                                    "to compare."]


def test_the_final_point_table_compares_the_last_curve_points():
    runs = sweep({("multi", 0.0005): 0.88})
    runs[0].update(losses=[200.0, 99.5], accuracies=[0.5, 0.875])
    assert report.final_point_table(runs).split("\n")[2] == (
        "| 0.0005 | Multi-threshold | 0.856 | 0.875 | 106.40 | 99.50 |")


def test_the_reading_counts_close_cells_compares_winners_and_failures():
    findings = report.reading(sweep(ONE_SEED))
    assert findings[0] == ("7 of 8 test accuracies are within 0.02 of the blog's; the largest difference is "
                           "+0.0500 (Central-threshold at 0.0005). Each cell is one run, as in the blog, so "
                           "seed-to-seed spread is not measured here.")
    assert len(findings) == 6 and findings[1].endswith(": disagrees.")
    assert findings[2] == ("At learning rate 0.001 the blog's better model was Central-threshold (0.8958 vs "
                           "0.8879); here it is Multi-threshold (0.8900 vs 0.8800): disagrees.")
    assert findings[3].endswith(": agrees.") and findings[4].endswith(": agrees.")
    assert findings[5] == ("Runs that failed to train (test accuracy below 0.5; chance is 0.1): in the blog "
                           "Central-threshold at 0.005, Central-threshold at 0.01; here Central-threshold at "
                           "0.005, Central-threshold at 0.01: agrees.")


def test_the_summary_says_when_runs_are_not_the_blogs_configuration():
    runs = blog_shaped(sweep(ONE_SEED))
    assert report.differs_from_blog(runs) == []
    assert "Not the blog's configuration" not in report.summary_markdown(runs)
    runs[0]["n_epochs"] = 1
    assert "**Not the blog's configuration** (n_epochs: 1): compare" in report.summary_markdown(runs)
    assert report.differs_from_blog(sweep(ONE_SEED)) == ["average_every: 55000"]


def test_the_runs_table_has_a_row_per_run():
    run = fake_record("multi", 0.01, 2, 0.8)
    row = "| run_multi_0.01_seed2.json | fast | 220000 | no | 45 | 5000 |"
    assert report.runs_table([run]).split("\n")[2] == row


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


def test_reference_markdown_names_every_reference_and_prefixes_its_findings():
    runs, reference = sweep(ONE_SEED), sweep(ONE_SEED, "faithful", 6.0)
    lines = report.reference_markdown(runs, [("results/faithful", reference)])
    assert lines[0] == "## Against the runs in `results/faithful`"
    assert "over 220,000 batch-1 steps" in lines[2]
    findings = [line for line in lines if line.startswith("- Against `results/faithful`: ")]
    assert len(findings) == 4 and findings[0].endswith(
        "8 of 8 test accuracies are within 0.02 of the faithful run's; mean absolute difference 0.0000, "
        "largest +0.0000 (Central-threshold at 0.0005).")


def test_default_references_are_the_ones_that_exist(tmp_path):
    (tmp_path / "faithful").mkdir()
    assert report.default_references(str(tmp_path)) == [str(tmp_path / "faithful")]


def epochs_and_means(axis):
    return [(list(line.get_xdata()), list(line.get_ydata())) for line in axis.get_lines()]


def test_the_curves_figure_has_a_column_per_rate_and_curves_in_epochs():
    figure = figures.curves_figure(blog_shaped(sweep(ONE_SEED)))
    axes = np.array(figure.axes).reshape(2, 4)
    assert [axis.get_title() for axis in axes[0]] == ["learning rate %s" % rate for rate in
                                                      ("0.0005", "0.001", "0.005", "0.01")]
    assert axes[0, 0].get_yscale() == "log" and axes[1, 0].get_ylim() == (0, 1.01)
    (x, losses), (_, multi_losses) = epochs_and_means(axes[0, 0])
    assert np.allclose(x, np.arange(1, 201) / 50) and losses == [1.0] * 200 and len(multi_losses) == 200
    assert [y for _, y in epochs_and_means(axes[1, 1])] == [[0.88] * 200, [0.89] * 200]
    assert not axes[0, 0].collections  # one seed: no band
    assert figure.texts[0].get_text() == "%s (means over every 1100 training examples)" % blog.CURVES_TITLE


def test_over_several_seeds_the_curves_figure_draws_a_band_and_says_so():
    runs = several_seeds()
    for run in runs:
        run["accuracies"] = [run["accuracy"]] * 4
    axes = figures.curves_figure(runs).axes
    assert len(axes[4].collections) == 2 and [y[0] for _, y in epochs_and_means(axes[4])] == \
        pytest.approx([0.9271, 0.90])
    assert "mean over 3 seeds; band: lowest to highest seed" in axes[0].figure.texts[0].get_text()


def test_the_bars_figure_shows_mean_accuracy_each_seed_and_the_blogs_number():
    runs = several_seeds()
    axis = figures.bars_figure(runs).axes[0]
    central, multi = [container for container in axis.containers if isinstance(container, BarContainer)]
    assert len(central.errorbar.lines[2][0].get_segments()) == 4  # a 95% interval on every bar
    assert [bar.get_height() for bar in central.patches] == pytest.approx([0.9271, 0.90, 0.28, 0.13])
    assert [bar.get_height() for bar in multi.patches] == pytest.approx([0.90, 0.91, 0.92, 0.80])
    marks = [line for line in axis.get_lines() if line.get_marker() == "x"]
    assert sorted(line.get_ydata()[0] for line in marks) == sorted(blog.TEST_ACCURACY.values())
    dots = [line for line in axis.get_lines() if line.get_marker() == "."]
    assert len(dots) == 8 and all(len(line.get_ydata()) == 3 for line in dots)
    assert axis.get_legend_handles_labels()[1] == ["blog (one run)", "Central-threshold", "Multi-threshold"]
    assert axis.get_title() == blog.BARS_TITLE + " (3 seeds: mean, 95% CI, each seed)"
    assert [label.get_text() for label in axis.get_xticklabels()] == ["0.0005", "0.001", "0.005", "0.01"]


def test_write_report_draws_both_figures_and_writes_the_summary(tmp_path):
    for run in blog_shaped(sweep(ONE_SEED)) + sweep({("multi", 0.02): 0.5}):
        records.write_json(str(tmp_path / records.spec_of(run, blog_runs.RunSpec).filename), run)
    reference = tmp_path / "faithful"
    reference.mkdir()
    for run in sweep(ONE_SEED, "faithful"):
        records.write_json(str(reference / records.spec_of(run, blog_runs.RunSpec).filename), run)
    paths = report.write_report(str(tmp_path), [str(reference)], rates=blog.LEARNING_RATES)
    assert [os.path.basename(path) for path in paths] == [figures.CURVES_FIGURE, figures.BARS_FIGURE,
                                                          report.SUMMARY]
    assert imread(paths[0]).shape[:2] == pytest.approx((7 * files.FIGURE_DPI, 16 * files.FIGURE_DPI), abs=1)
    assert imread(paths[1]).shape[:2] == pytest.approx((5 * files.FIGURE_DPI, 8 * files.FIGURE_DPI), abs=1)
    text = (tmp_path / report.SUMMARY).read_text()
    assert text.startswith("# Reproduction of the blog's experiment\n\n## Test accuracy against the blog\n")
    assert "| 0.02 |" not in text and "## Against the runs in `%s`" % reference in text
    assert "- runs: 8, from 2023-11-14 22:13 to 2023-11-14 22:14 UTC" in text
    assert text.endswith("Figures: `%s` (Figure 2) and `%s` (Figure 3).\n" % (figures.CURVES_FIGURE,
                                                                               figures.BARS_FIGURE))


def test_the_first_layers_figure_shows_both_models_at_the_blogs_best_rates_where_kept(tmp_path):
    runs = [fake_record(model, rate, 21, 0.9) for model in blog.MODELS for rate in blog.LEARNING_RATES]
    assert figures.blog_best("central") == 0.001 and figures.blog_best("multi") == 0.005
    assert figures.first_layers_figure(str(tmp_path), runs) is None  # nothing kept: no figure
    rng = np.random.RandomState(0)
    for model, shape in (("central", (784, 251)), ("multi", (251, 784))):
        weights = rng.randn(*shape).astype(np.float32)
        name = "run_%s_%s.npz" % (model, figures.blog_best(model))
        files.write_npz(str(tmp_path / name), {"W_01": weights})
    multi = figures.first_layer_images(str(tmp_path / "run_multi_0.005.npz"), "multi")
    assert multi.shape == (251, 28, 28) and multi.min() == 0  # relu(W): the map on pixels
    central = figures.first_layer_images(str(tmp_path / "run_central_0.001.npz"), "central")
    assert central.shape == (251, 28, 28) and central.min() < 0
    path = str(tmp_path / figures.FIRST_LAYERS_FIGURE)
    files.save_figure(figures.first_layers_figure(str(tmp_path), runs), path)
    assert os.path.getsize(path) > 10000
