"""Tests for mtneuron.studies.equivalence: pairing runs, curve agreement, the comparison and its report."""


import numpy as np
import pytest

from mtneuron.run import markdown, stats
from mtneuron.studies import equivalence

SEEDS = (1, 2, 3, 4, 5)
MODELS = ("multi", "central")


def make_run(model, seed, engine, shift=0.0, noise=0.0, learning_rate=0.001, n_points=10, n_epochs=2):
    """A synthetic record: curves set by model and seed, plus ``shift`` and ``noise`` seeded by ``engine``."""
    base = np.random.RandomState(seed * 7 + len(model))
    rng = np.random.RandomState(seed * 1000 + len(engine) * 10 + len(model))
    steps = np.arange(1, n_points + 1)
    accuracies = 1 - 0.5 / steps + 0.01 * base.randn(n_points) + shift + noise * rng.randn(n_points)
    losses = 2.0 / steps ** 2 * np.exp(0.05 * base.randn(n_points))
    losses = losses * 10 ** (shift + noise * rng.randn(n_points))
    return {
        "model": model, "learning_rate": learning_rate, "seed": seed, "engine": engine,
        "accuracy": float(0.97 + 0.003 * base.randn() + shift + noise * rng.randn()),
        "losses": [float(value) for value in losses], "accuracies": [float(value) for value in accuracies],
        "n_epochs": n_epochs, "diverged": False, "command": "python scripts/engine_equivalence.py",
        "started_at": 1.7e9 + seed, "finished_at": 1.7e9 + seed + 60, "wall_time_s": 60.0,
    }


def make_runs(engine, **kwargs):
    return [make_run(model, seed, engine, **kwargs) for model in MODELS for seed in SEEDS]


def test_pair_records_sorts_and_matches():
    reference = [make_run(m, s, "exact") for m, s in [("multi", 2), ("central", 1), ("multi", 1)]]
    candidate = [make_run(m, s, "fast") for m, s in [("multi", 1), ("multi", 2), ("central", 1)]]
    pairs = equivalence.pair_records(reference, candidate)
    keys = [key for key, _ref, _cand in pairs]
    assert keys == [("central", 0.001, 1), ("multi", 0.001, 1), ("multi", 0.001, 2)]
    for key, ref, cand in pairs:
        assert (ref["engine"], cand["engine"]) == ("exact", "fast")
        assert equivalence.run_key(ref) == equivalence.run_key(cand) == key


def test_pair_records_mismatch_raises_one_line():
    reference = [make_run("multi", 1, "exact"), make_run("multi", 2, "exact")]
    candidate = [make_run("multi", 1, "fast"), make_run("central", 3, "fast")]
    with pytest.raises(ValueError) as error:
        equivalence.pair_records(reference, candidate)
    message = str(error.value)
    assert "\n" not in message
    assert "multi/lr=0.001/seed=2" in message and "central/lr=0.001/seed=3" in message
    assert "multi/lr=0.001/seed=1" not in message


def test_pair_records_duplicate_raises():
    with pytest.raises(ValueError, match="twice"):
        equivalence.pair_records([make_run("multi", 1, "exact")] * 2, [make_run("multi", 1, "fast")])


@pytest.mark.parametrize("key", ["accuracies", "losses"])
def test_curve_agreement_identical_curves(key):
    pairs = equivalence.pair_records(make_runs("exact"), make_runs("exact"))
    result = equivalence.curve_agreement(pairs, key)
    assert result["points"] == 2 * 10 and result["pairs"] == 10
    assert result["fraction_p_below_0.05"] == 0.0
    assert result["max_abs_mean_difference"] == 0.0
    assert result["median_seed_sd"] > 0


def test_curve_agreement_large_shift():
    pairs = equivalence.pair_records(make_runs("exact"), make_runs("fast", shift=0.5, noise=0.01))
    accuracies = equivalence.curve_agreement(pairs, "accuracies")
    losses = equivalence.curve_agreement(pairs, "losses")
    for result in (accuracies, losses):
        assert result["points"] == 20
        assert result["fraction_p_below_0.05"] >= 0.9
        assert result["max_abs_mean_difference"] == pytest.approx(0.5, abs=0.05)
    assert losses["scale"] == "log10"


def test_curve_agreement_skips_points_with_few_finite_pairs():
    reference, candidate = make_runs("exact"), make_runs("fast")
    for run in reference[:3]:  # three of the five "multi" seeds lose their first point
        run["losses"][0] = None
    candidate[0]["losses"][1] = float("inf")  # not finite in log10 either
    result = equivalence.curve_agreement(equivalence.pair_records(reference, candidate), "losses")
    assert result["points"] == 20 - 1
    with pytest.raises(ValueError):
        equivalence.curve_agreement(equivalence.pair_records(reference, candidate), "accuracy")


def test_engine_equivalence_and_markdown_indistinguishable():
    result = equivalence.engine_equivalence(make_runs("exact"), make_runs("fast", noise=0.0005))
    assert result["pairs"] == 10
    assert result["cells"] == [("central", 0.001), ("multi", 0.001)]
    assert result["seeds"] == list(SEEDS)
    assert result["engines"] == {"reference": ["exact"], "candidate": ["fast"]}
    for name in ("test_accuracy", "final_train_accuracy", "final_train_log10_loss"):
        assert result[name]["n"] == 10 and result[name]["verdict"] == "indistinguishable", name
    assert result["test_accuracy"]["margin"] == 0.01 and result["final_train_log10_loss"]["margin"] == 0.05
    assert result["accuracy_curves"]["points"] == 20 and result["loss_curves"]["points"] == 20
    assert len(result["per_cell"]) == 2 and result["per_cell"][0]["model"] == "central"
    assert result["per_cell"][0]["reference_mean"] == pytest.approx(
        np.mean([run["accuracy"] for run in make_runs("exact") if run["model"] == "central"]))
    assert result["verdict"] == "indistinguishable"
    text = equivalence.equivalence_markdown(result)
    assert "| quantity | n | mean difference | 95% CI | t-test p | Wilcoxon p | TOST p | verdict |" in text
    assert "| model | learning rate |" in text
    assert "**Overall verdict: indistinguishable**" in text
    assert "`exact`" in text and "`fast`" in text
    assert "Wilcoxon signed-rank" in text and "TOST" in text and "±0.01" in text and "±0.05" in text
    tables = [block.splitlines() for block in text.split("\n\n") if block.startswith("|")]
    assert [len(table) for table in tables] == [2 + 3, 2 + 2, 2 + 2]
    for table in tables:  # well-formed: every row has the header's number of cells (no stray "|")
        assert len({line.count("|") for line in table}) == 1, table


def test_engine_equivalence_different_engine():
    result = equivalence.engine_equivalence(make_runs("exact"), make_runs("fast", shift=0.05, noise=0.001))
    assert result["test_accuracy"]["verdict"] == "different"
    assert result["verdict"] == "different"
    text = equivalence.equivalence_markdown(result)
    assert "**Overall verdict: different**" in text


def test_write_report_is_the_whole_report_with_one_p_value_format(tmp_path):
    reference, candidate = make_runs("exact"), make_runs("fast", shift=0.002, noise=0.002)
    path = tmp_path / "engine_equivalence.md"
    result = equivalence.write_report(reference, candidate, str(path))
    text = path.read_text()
    assert text.startswith("# Engine equivalence: fast against exact\n\n## Engine equivalence: candidate")
    assert "\n\n## Provenance\n\n- command: `python scripts/engine_equivalence.py`\n" in text
    assert "- runs: 20, from " in text and text.endswith("\n")
    test = result["test_accuracy"]
    assert "| %s | %s | %s (±0.01) |" % (markdown.p_value(test["t_p"]), markdown.wilcoxon(test),
                                        markdown.p_value(test["tost_p"])) in text


def test_no_runs_to_compare_is_refused():
    with pytest.raises(ValueError, match="no runs"):
        equivalence.engine_equivalence([], [])


def test_cells_where_both_engines_collapse_are_left_out_and_the_precision_is_stated():
    collapsed = [dict(run, learning_rate=0.005, accuracy=0.1 + run["accuracy"] / 100)
                 for run in make_runs("exact") + make_runs("fast")]
    reference = make_runs("exact") + [run for run in collapsed if run["engine"] == "exact"]
    candidate = make_runs("fast", noise=0.0005) + [run for run in collapsed if run["engine"] == "fast"]
    result = equivalence.engine_equivalence(reference, candidate)
    alone = equivalence.engine_equivalence(make_runs("exact"), make_runs("fast", noise=0.0005))
    assert result["collapsed"] == [("central", 0.005), ("multi", 0.005)] and result["pairs"] == 10
    assert result["test_accuracy"] == alone["test_accuracy"] and len(result["per_cell"]) == 4
    test = result["test_accuracy"]
    assert result["precision"]["supported_margin"] == stats.supported_margin(
        test["mean_difference"], test["sd_difference"], 10)
    assert result["precision"]["pairs_needed"] == stats.pairs_for_margin(test["sd_difference"], 0.01)
    text = equivalence.equivalence_markdown(result)
    assert "are left out of the tests, as agreeing there says only that both fail" in text
    assert "| central | 0.005 | 5 |" in text and text.count("left out: both collapse |") == 2
    assert "pairs (t-quantiles, the sd as measured)" in text


def test_one_engine_collapsing_alone_is_kept():
    candidate = [dict(run, accuracy=0.1) if run["model"] == "multi" else run for run in make_runs("fast")]
    result = equivalence.engine_equivalence(make_runs("exact"), candidate)
    assert result["collapsed"] == [] and result["test_accuracy"]["verdict"] == "different"
