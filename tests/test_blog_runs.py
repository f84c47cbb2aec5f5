"""mtneuron.blog_runs: the blog run's spec (round trip, defaults, file names), the sweep a command asks
for, and the queries over records by model, rate and seed."""

import json

from mtneuron import blog, blog_runs
from mtneuron.blog_runs import RunSpec
from mtneuron.run import records
from tests.helpers import fake_record


def test_a_spec_survives_its_json_round_trip_and_ignores_unknown_keys():
    spec = RunSpec(model="multi", learning_rate=0.005, seed=3, hidden_sizes=(12, 6), engine="exact")
    fields = json.loads(json.dumps(spec.to_dict()))
    assert fields["hidden_sizes"] == [12, 6]
    assert RunSpec.from_dict(dict(fields, trainer="gone")) == spec


def test_a_spec_defaults_to_the_blogs_run():
    spec = RunSpec(model="central")
    assert (spec.learning_rate, spec.seed, spec.n_epochs, spec.n_examples, spec.hidden_sizes,
            spec.average_every, spec.test_examples) == (
        blog.LEARNING_RATE, blog.SEED, blog.EPOCHS, blog.TRAIN_EXAMPLES, blog.HIDDEN_SIZES,
        blog.AVERAGE_EVERY, blog.TEST_EXAMPLES)


def test_file_names_carry_model_rate_and_a_seed_other_than_the_blogs():
    assert RunSpec(model="central", learning_rate=0.0005).filename == "run_central_0.0005.json"
    spec = RunSpec(model="multi", learning_rate=0.01, seed=7)
    assert spec.filename == "run_multi_0.01_seed7.json" and spec.name == "run_multi_0.01_seed7"
    assert records.seed_suffix(blog.SEED) == "" and records.seed_suffix(0) == "_seed0"
    assert records.format_rate(1e-4) == "0.0001" and records.format_rate(0.1) == "0.1"


SWEEP = [fake_record(model, rate, seed, 0.9) for model in ("multi", "central") for rate in (0.01, 0.001)
         for seed in (3, 1, 2)][:-1]  # central at 0.001 has two seeds


def test_run_queries_group_runs_by_model_rate_and_seed():
    assert blog_runs.learning_rates(SWEEP) == [0.001, 0.01]
    assert blog_runs.models(SWEEP) == ["central", "multi"] and blog_runs.models(SWEEP[:3]) == ["multi"]
    assert [run["seed"] for run in blog_runs.cell(SWEEP, "multi", 0.01)] == [1, 2, 3]
    assert blog_runs.cell(SWEEP, "multi", 0.5) == []
    assert blog_runs.seed_counts(SWEEP) == "2-3" and blog_runs.seed_counts(SWEEP[:6]) == "3"
    other = fake_record("central", 0.01, 2, 0.5)
    assert blog_runs.same_run(SWEEP, other)["accuracy"] == 0.9
    assert blog_runs.same_run(SWEEP[:6], other) is None


def test_expand_orders_runs_by_seed_then_rate_then_model():
    specs = blog_runs.expand(("central", "multi"), (0.01, 0.001, 0.01), seeds=(2, 1), n_epochs=1)
    assert [(spec.seed, spec.learning_rate, spec.model) for spec in specs] == [
        (2, 0.001, "central"), (2, 0.001, "multi"), (2, 0.01, "central"), (2, 0.01, "multi"),
        (1, 0.001, "central"), (1, 0.001, "multi"), (1, 0.01, "central"), (1, 0.01, "multi")]
    assert {spec.n_epochs for spec in specs} == {1}
