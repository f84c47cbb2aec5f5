"""Tests for mtneuron.studies.compare: the design, the rate choice, the stages, the report, the command."""

import dataclasses
import json
import os

import pytest
from matplotlib.image import imread

from mtneuron.run import records, stats
from mtneuron.studies.comparison import config, init_check, plan, report
from mtneuron.studies.comparison import runs as query
from mtneuron.studies.comparison.config import Cell
from tests.helpers import QUICK_COMPARE_ARGS, run_script
from tests.test_hparams import plugin_data, read_events

MLP_MULTI = Cell("mlp", "multi", "derived", 32, 30, 5)
MLP_CENTRAL = Cell("mlp", "central", "scaled", 32, 30, 5)
SEARCH = config.SEARCH_SEED


def fake_run(cell, rate, seed, validation, accuracy=None):
    """A complete comparison record, made without training."""
    spec = config.spec(cell, rate, seed, 55000)
    return dict(spec.to_dict(), validation_accuracy=validation, validation_accuracies=[validation],
                accuracy=validation if accuracy is None else accuracy, examples_per_second=32000.0,
                us_per_step=1000.0, losses=[1.0], accuracies=[validation], epochs_trained=12, best_epoch=7,
                diverged=False, wall_time_s=5.0, started_at=1.7e9, finished_at=1.7e9 + 5,
                command="python scripts/compare.py", spec=spec.to_dict(), status="complete")


def test_the_design_has_every_cell_once():
    cells = config.cells(config.Settings())
    assert len(set(cells)) == len(cells) == 31
    mnist = [cell for cell in cells if cell.dataset == "mnist"]
    assert len(mnist) == 3 * 2 + 3 + 5 + 2 + 2
    assert all((cell.n_epochs, cell.patience) == (30, 5) for cell in mnist)
    assert Cell("mlp", "paper", "derived", 128, 30, 5) in cells  # the paper's neuron
    assert Cell("mlp", "multi", "derived", 128, 30, 5, "mnist", True) in cells  # centred inputs
    assert Cell("mlp1", "central", "scaled", 128, 30, 5) in cells
    assert Cell("mlp", "crelu", "scaled", 128, 400, 20, "mnist1d") in cells
    signed = [cell for cell in cells if cell.dataset == "mnist1d"]
    assert not [cell for cell in signed if cell.architecture == "cnn" or cell.centred
                or cell.init == "positive"]
    search = plan.search_specs(cells, config.Settings())
    assert len(search) == len(cells) * len(config.RATES) and {spec.seed for spec in search} == {SEARCH}
    only = config.cells(config.Settings(groups=("cnn",), datasets=("mnist1d",)))
    assert only == []


def test_a_runs_file_name_carries_every_field_that_varies():
    one = config.spec(MLP_MULTI, 0.003, 2, 55000)
    assert one.filename == "run_mnist_mlp_multi_derived_b32_e30_p5_lr0.003_seed2.json"
    assert records.spec_of({"spec": one.to_dict()}, config.ComparisonSpec) == one
    centred = config.spec(MLP_MULTI._replace(centred=True, dataset="mnist"), 0.003, 2, 55000)
    assert centred.filename.startswith("run_mnist-centred_mlp_multi")
    assert query.cell_of(centred.to_dict()) == MLP_MULTI._replace(centred=True)


def test_the_best_validation_accuracy_of_the_search_seed_chooses_the_rate_and_ties_go_to_the_smaller():
    runs = [fake_run(MLP_MULTI, rate, SEARCH, validation) for rate, validation in
            [(0.0001, 0.90), (0.001, 0.95), (0.01, 0.95), (0.1, 0.1)]]
    runs.append(fake_run(MLP_MULTI, 0.1, 1, 0.99))  # a final seed: not part of the search
    assert query.chosen_rate(runs, MLP_MULTI) == (0.001, 0.95)
    assert query.chosen_rate(runs, MLP_CENTRAL) == (None, None)
    runs[2]["validation_accuracy"] = float("nan")
    assert query.chosen_rate(runs, MLP_MULTI) == (0.001, 0.95)


def test_final_runs_take_every_final_seed_at_the_chosen_rate_and_never_the_search():
    settings = config.Settings(seeds=(1, 2, 3))
    runs = [fake_run(MLP_MULTI, 0.001, SEARCH, 0.9), fake_run(MLP_MULTI, 0.01, SEARCH, 0.8)]
    planned = plan.final_specs([MLP_MULTI, MLP_CENTRAL], runs, settings)
    assert [(spec.learning_rate, spec.seed) for spec in planned] == [(0.001, 1), (0.001, 2), (0.001, 3)]
    runs.append(fake_run(MLP_MULTI, 0.001, 1, 0.9))
    assert [run["seed"] for run in query.final_runs(runs, MLP_MULTI)] == [1]


def write_runs(directory, runs):
    for run in runs:
        name = records.spec_of(run, config.ComparisonSpec).filename
        records.write_json(os.path.join(directory, name), run)


def test_the_next_rate_follows_one_three_ten():
    assert plan.next_rate(0.03, 1) == 0.1 and plan.next_rate(0.1, 1) == 0.3
    assert plan.next_rate(0.0001, -1) == 3e-5 and plan.next_rate(3e-5, -1) == 1e-5
    assert plan.next_rate(0.002, 1) == 0.003 and plan.next_rate(0.002, -1) == 0.001


def test_a_best_rate_on_an_end_of_the_grid_searches_past_it_up_to_the_extensions():
    settings = config.Settings(rates=(0.001, 0.01), extensions=2)
    runs = [fake_run(MLP_MULTI, 0.001, SEARCH, 0.8), fake_run(MLP_MULTI, 0.01, SEARCH, 0.9),
            fake_run(MLP_CENTRAL, 0.001, SEARCH, 0.95), fake_run(MLP_CENTRAL, 0.01, SEARCH, 0.9)]
    planned = plan.edge_specs([MLP_MULTI, MLP_CENTRAL], runs, settings)
    assert [(spec.kind, spec.learning_rate, spec.seed) for spec in planned] == [("multi", 0.03, SEARCH),
                                                                               ("central", 0.0003, SEARCH)]
    runs += [fake_run(MLP_MULTI, 0.03, SEARCH, 0.95), fake_run(MLP_CENTRAL, 0.0003, SEARCH, 0.5)]
    planned = plan.edge_specs([MLP_MULTI, MLP_CENTRAL], runs, settings)
    assert [spec.learning_rate for spec in planned] == [0.1]
    runs.append(fake_run(MLP_MULTI, 0.1, SEARCH, 0.97))  # still on the edge, but two past the grid
    assert plan.edge_specs([MLP_MULTI], runs, settings) == []
    assert query.cell_summary(runs, MLP_MULTI)["edge"]
    assert plan.edge_specs([MLP_MULTI], runs[:2], dataclasses.replace(settings, extensions=0)) == []
    assert plan.edge_specs([MLP_MULTI], runs[1:2], settings) == []  # one rate searched: no end to pass


def test_stages_plan_each_stage_from_the_records_before_it(tmp_path):
    settings = config.Settings(groups=("mlp",), datasets=("mnist",), batch_sizes=(32,),
                                        rates=(0.001, 0.01), seeds=(1, 2), extensions=1)
    stages = plan.stages(str(tmp_path), settings)

    def train(planned, validation):
        write_runs(str(tmp_path), [fake_run(query.cell_of(spec.to_dict()), spec.learning_rate, spec.seed,
                                            validation(spec)) for spec in planned])

    search = next(stages)
    assert len(search) == 3 * 2 and {spec.seed for spec in search} == {SEARCH}
    train(search, lambda spec: 0.9 if spec.learning_rate == 0.01 else 0.5)
    past = next(stages)
    assert {spec.learning_rate for spec in past} == {0.03} and len(past) == 3
    train(past, lambda spec: 0.95 if spec.kind == "central" else 0.1)  # better for central only
    final = next(stages)
    assert sorted((spec.kind, spec.init, spec.learning_rate, spec.seed) for spec in final) == [
        ("central", "scaled", 0.03, 1), ("central", "scaled", 0.03, 2), ("multi", "derived", 0.01, 1),
        ("multi", "derived", 0.01, 2), ("multi", "scaled", 0.01, 1), ("multi", "scaled", 0.01, 2)]
    for _ in range(settings.longer):
        assert next(stages) == []  # no final run hit its cap: nothing to train longer
    with pytest.raises(StopIteration):
        next(stages)


def capped(run, best_epoch=None):
    """``run`` as if it trained to its cap, its best epoch ``best_epoch`` (default: the last)."""
    return dict(run, epochs_trained=run["n_epochs"],
                best_epoch=run["n_epochs"] if best_epoch is None else best_epoch)


def test_a_run_hit_the_cap_only_where_early_stopping_had_not_ended_it():
    run = fake_run(MLP_MULTI, 0.001, 1, 0.9)  # cap 30, patience 5
    assert not query.hit_the_cap(run)  # stopped at epoch 12
    assert query.hit_the_cap(capped(run)) and query.hit_the_cap(capped(run, best_epoch=26))
    assert not query.hit_the_cap(capped(run, best_epoch=25))  # patience ran out at the cap itself


def test_final_runs_that_hit_the_cap_train_again_at_twice_the_cap():
    settings = config.Settings(seeds=(1, 2), longer=2)
    runs = [fake_run(cell, rate, SEARCH, validation) for cell in (MLP_MULTI, MLP_CENTRAL)
            for rate, validation in ((0.001, 0.9), (0.01, 0.8))]
    runs += [capped(fake_run(MLP_MULTI, 0.001, 1, 0.9)), fake_run(MLP_MULTI, 0.001, 2, 0.9)]
    runs += [fake_run(MLP_CENTRAL, 0.001, seed, 0.9) for seed in (1, 2)]
    planned = plan.longer_specs([MLP_MULTI, MLP_CENTRAL], runs, settings, 1)
    assert [(spec.kind, spec.n_epochs, spec.patience, spec.learning_rate, spec.seed) for spec in planned] == [
        ("multi", 60, 5, 0.001, 1)]  # seed 2 stopped on validation: the same run at any longer cap
    longer = MLP_MULTI._replace(n_epochs=60)
    assert query.search_runs(runs, longer) == query.search_runs(runs, MLP_MULTI)  # the search at cap 30
    stands_in = [(run["seed"], run["n_epochs"]) for run in query.final_runs(runs, longer)]
    assert stands_in == [(2, 30)]  # seed 1 hit the cap and has no run at 60 yet
    runs.append(capped(fake_run(longer, 0.001, 1, 0.95)))
    assert [(run["seed"], run["n_epochs"]) for run in query.final_runs(runs, longer)] == [(1, 60), (2, 30)]
    assert [(spec.seed, spec.n_epochs) for spec in plan.longer_specs([MLP_MULTI], runs, settings, 2)] == [
        (1, 120)]
    assert plan.longer_specs([MLP_MULTI], runs, dataclasses.replace(settings, seeds=(2,)), 2) == []
    runs[-1] = fake_run(longer, 0.001, 1, 0.95)  # stopped on validation at 60: nothing more to train
    assert plan.longer_specs([MLP_MULTI, MLP_CENTRAL], runs, settings, 2) == []
    assert [run["n_epochs"] for run in query.final_runs(runs, MLP_MULTI)] == [30, 30]


def test_the_comparisons_take_a_cell_at_its_longest_cap(tmp_path):
    runs = study_runs()
    longer = MLP_MULTI._replace(n_epochs=60)  # trained longer, it loses to central
    runs += [dict(fake_run(longer, 0.001, seed, 0.95, 0.95), epochs_trained=40) for seed in (1, 2, 3)]
    runs[-1]["validation_accuracies"] = [0.97, 0.95]  # seed 3 repeats its shorter run, then goes on
    cells = query.all_cells(runs)
    assert query.superseded(MLP_MULTI, cells) and query.extends(longer, cells)
    assert not query.superseded(longer, cells) and not query.extends(MLP_MULTI, cells)
    assert cells.index(longer) == cells.index(MLP_MULTI) + 1
    summaries = [query.cell_summary(runs, cell) for cell in cells]
    (result,) = query.head_to_head(runs, summaries)
    assert result["multi"]["cell"] == longer and result["test"]["mean_difference"] < 0
    assert query.cell_summary(runs, longer)["rate"] == 0.001
    text = report.summary_markdown(runs)
    assert "Every run stops early: MNIST at most 30 epochs, patience 5;" in text
    assert ("(trained longer: MNIST MLP multi ReLU (derived init), batch 32, 60 epochs; of the 3 final runs "
            "trained at two caps, 1 repeat the shorter run's validation accuracies exactly over its epochs)"
            in text)
    assert "| MNIST | MLP | multi ReLU | derived | 32 | 40.0 (7.0), 60 |" in text
    write_runs(str(tmp_path), runs)
    assert imread(report.write_report(str(tmp_path))[1]).shape[0] > 100


def study_runs():
    """Both neurons (multi at two inits) with three final seeds, a paper neuron, softmax regression and a
    centred control that would win if it counted (multi wins)."""
    runs = []
    cells = [(MLP_MULTI, 0.97), (MLP_MULTI._replace(init="scaled"), 0.90), (MLP_CENTRAL, 0.96),
             (MLP_MULTI._replace(centred=True), 0.99), (Cell("mlp", "heaviside", "derived", 32, 30, 5), 0.93),
             (Cell("linear", "linear", "scaled", 32, 30, 5), 0.92)]
    for cell, base in cells:
        runs += [fake_run(cell, 0.01, SEARCH, base - 0.1), fake_run(cell, 0.001, SEARCH, base)]
        runs += [fake_run(cell, 0.001, seed, base, base + 0.001 * seed) for seed in (1, 2, 3)]
    return runs


def test_head_to_head_pairs_each_neuron_at_its_best_init():
    runs = study_runs()
    summaries = [query.cell_summary(runs, cell) for cell in query.all_cells(runs)]
    (result,) = query.head_to_head(runs, summaries)
    assert result["multi"]["cell"] == MLP_MULTI and result["central"]["cell"] == MLP_CENTRAL
    assert result["test"]["n"] == 3 and result["test"]["better"] == "multi"
    assert abs(result["test"]["mean_difference"] - 0.01) < 1e-9
    summary = query.cell_summary(runs, MLP_MULTI)
    assert summary["rate"] == 0.001 and summary["edge"] and summary["seeds"] == [1, 2, 3]
    assert abs(summary["us_per_step"] - 1000) < 1e-6
    assert (summary["epochs"], summary["best_epoch"], summary["capped"]) == (12, 7, 0)


def test_report_from_records(tmp_path):
    write_runs(str(tmp_path), study_runs() + [fake_run(MLP_MULTI, 0.0003, SEARCH, 0.5)])  # searched more
    check = {"checks": [{"architecture": "mlp", "kind": "multi", "init": "derived", "images": 100,
                         "layers": [{"mean": 0.01, "variance": 0.98}]}]}
    records.write_json(os.path.join(str(tmp_path), init_check.FILENAME), check)
    paths = report.write_report(str(tmp_path))
    with open(paths[-1]) as stream:
        text = stream.read()
    assert ("| MNIST MLP batch 32 | scaled, 0.001 (grid edge): 0.9620 ± 0.0010 (0.9595 to 0.9645) | derived"
            in text)
    assert "Heaviside + thresholds (MLP, batch 32): test 0.9320" in text and "gap -0.0400" in text
    assert "linear gets 94.9%" in text
    assert text.index("| MNIST | MLP | multi ReLU | derived |") < text.index("| MNIST | MLP | Heaviside")
    assert "| MNIST centred | MLP | multi ReLU | derived | 32 | 12.0 (7.0), 30 |" in text
    assert "every cell searched 0.001, 0.01, and" in text and "(trained longer: none)" in text
    assert "(rates only some cells searched: 0.0003)" in text
    assert "Every run stops early: MNIST at most 30 epochs, patience 5;" in text
    assert "## The derived init on real activations" in text
    assert "command: `python scripts/compare.py`" in text
    assert imread(paths[0]).shape[0] > 100 and imread(paths[1]).shape[0] > 100


def hparams_of(directory):
    """The HParams a sweep wrote for one run."""
    from tensorboard.plugins.hparams import metadata

    values = read_events(directory)
    return plugin_data(values, metadata.SESSION_START_INFO_TAG).session_start_info.hparams


@pytest.mark.slow
def test_compare_command_on_a_quick_configuration(quick_compare, mnist_dir):
    out = quick_compare
    names = [name for name in os.listdir(out) if name.startswith("run_")]
    # every cell (MLPs and softmax regression on both data sets): two rates searched (none past them:
    # --extensions 0), two final seeds at the chosen
    assert len(names) == 2 * (3 + 1) * (2 + 2)
    with open(os.path.join(out, init_check.FILENAME)) as stream:
        check = json.load(stream)
    derived = [one for one in check["checks"] if (one["architecture"], one["init"]) == ("mlp", "derived")
               and one["kind"] == "multi"][0]
    assert all(abs(layer["mean"]) < 0.5 and 0.3 < layer["variance"] < 3 for layer in derived["layers"])
    with open(os.path.join(out, report.SUMMARY)) as stream:
        summary = stream.read()
    assert "## Each neuron at its best init and learning rate" in summary
    assert "| MLP | multi ReLU |" in summary
    sessions = [hparams_of(os.path.join(out, "tensorboard", name[:-len(".json")])) for name in names]
    assert {session["kind"].string_value for session in sessions} == {"central", "multi", "linear"}
    assert {session["batch_size"].number_value for session in sessions} == {32}
    rerun = run_script(QUICK_COMPARE_ARGS + ["--groups", "linear", "--out", out], mnist_dir, "compare")
    assert rerun.returncode == 0 and "training" not in rerun.stdout, rerun.stdout


@pytest.mark.slow
def test_compare_trains_the_capped_cells_again_at_twice_the_cap(mnist_dir, tmp_path):
    out = str(tmp_path / "compare")
    args = QUICK_COMPARE_ARGS + ["--groups", "linear", "--datasets", "mnist1d", "--mnist1d-patience", "5",
                                 "--longer", "1", "--out", out]  # a patience past the cap: every run hits it
    result = run_script(args, mnist_dir, "compare")
    assert result.returncode == 0, result.stderr
    runs = records.load_records(out)
    assert sorted((run["seed"], run["n_epochs"]) for run in runs) == [(0, 2), (0, 2), (1, 2), (1, 4), (2, 2),
                                                                      (2, 4)]
    assert all(run["epochs_trained"] == run["n_epochs"] for run in runs)
    with open(os.path.join(out, report.SUMMARY)) as stream:
        assert ("(trained longer: MNIST-1D Linear softmax regression (scaled init), batch 32, 4 epochs; of "
                "the 2 final runs trained at two caps," in stream.read())


def ladder_runs(dataset="mnist"):
    """The paper's neuron and each approximation step in the MLP at batch 128, three final seeds each."""
    runs = []
    bases = {"paper": 0.90, "heaviside": 0.91, "relu_thresholds": 0.96, "multi": 0.95}
    noise = {1: 0.0, 2: 0.004, 3: -0.002}
    for index, (kind, base) in enumerate(bases.items()):
        cell = Cell("mlp", kind, "derived", 128, 30, 5, dataset)
        runs += [fake_run(cell, 0.001, SEARCH, base)]
        runs += [fake_run(cell, 0.001, seed, base, base + noise[seed] * index) for seed in (1, 2, 3)]
    return runs


def test_the_approximations_go_one_step_at_a_time_from_the_papers_neuron_to_the_blogs():
    runs = ladder_runs() + ladder_runs("mnist1d")[:4]  # MNIST-1D: the paper's neuron alone, no step
    summaries = [query.cell_summary(runs, cell) for cell in query.all_cells(runs)]
    steps = query.approximations(runs, summaries, "mnist")
    assert [(step["before"]["cell"].kind, step["after"]["cell"].kind) for step in steps] == [
        ("paper", "heaviside"), ("heaviside", "relu_thresholds"), ("relu_thresholds", "multi")]
    assert [round(step["test"]["mean_difference"], 4) for step in steps] == [0.0107, 0.0507, -0.0093]
    t_ps = [step["test"]["t_p"] for step in steps]
    assert [step["holm_p"] for step in steps] == stats.holm(t_ps) and min(t_ps) < min(stats.holm(t_ps))
    assert query.approximations(runs, summaries, "mnist1d") == []
    text = report.summary_markdown(runs)
    assert "## The blog's approximations one at a time: MNIST, MLP batch 128" in text
    assert "| Heaviside + thresholds -> ReLU + thresholds | ReLU for the step |" in text
    assert "(smallest possible 0.25) | 3 |" in text
    assert "approximations one at a time: MNIST-1D" not in text


def test_the_data_sets_stand_side_by_side_one_paired_difference_per_question():
    runs = ladder_runs() + ladder_runs("mnist1d")[:4]  # MNIST-1D: the paper's neuron alone
    text = report.summary_markdown(runs)
    steps = query.approximations(runs, [query.cell_summary(runs, one) for one in query.all_cells(runs)],
                                   "mnist")
    row = "| a bias added to the paper's neuron | %s | – |" % report._difference(steps[0]["test"])
    assert "## MNIST and MNIST-1D side by side" in text and row in text and "+0.0107 (" in row
    assert "| multi ReLU - central, MLP batch 32 | – | – |" in text  # no central cell: nothing to pair


def test_records_of_a_kind_the_design_no_longer_has_are_reported_last():
    earlier = Cell("mlp", "sigmoid", "derived", 128, 30, 5)  # the earlier design's sigmoid relative
    runs = ladder_runs() + [fake_run(earlier, 0.001, SEARCH, 0.92), fake_run(earlier, 0.001, 1, 0.92)]
    assert query.all_cells(runs)[-1] == earlier
    assert "| MNIST | MLP | sigmoid + thresholds | derived | 128 |" in report.summary_markdown(runs)


def test_records_of_the_earlier_design_are_refused_in_one_line(tmp_path):
    write_runs(str(tmp_path), [fake_run(MLP_MULTI, 0.001, 1, 0.97)])  # searched with a final seed
    with pytest.raises(records.RecordError, match="no search runs \\(seed 0\\) in .*: records of an earlier"):
        report.write_report(str(tmp_path))
