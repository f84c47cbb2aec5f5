"""The training commands: the blog reproduction, the claims, engine equivalence, part II and the
comparison. Each reads the same (``flow.study``): parse, build the runs, sweep, write the report."""

import argparse
import os

from mtneuron import blog
from mtneuron.cli import arguments
from mtneuron.cli.flow import Sweep, blog_specs, study, train_blog_run
from mtneuron.run import records
from mtneuron.run.records import RecordError
from mtneuron.studies import equivalence
from mtneuron.studies import part2 as part2_study
from mtneuron.studies.claims import config as claims_config
from mtneuron.studies.claims import report as claims_report
from mtneuron.studies.comparison import config as comparison
from mtneuron.studies.comparison import init_check, plan
from mtneuron.studies.comparison import report as comparison_report
from mtneuron.studies.reproduction import report
from mtneuron.train import minibatch


def reproduce_blog_parser(prog="reproduce_blog.py"):
    parser = arguments.Parser(prog, (
        "Re-run the blog's experiment: central- vs multi-threshold networks (784-251-87-10, batch size 1, "
        "Adam) at several learning rates. Writes run_{model}_{rate}.json per run, Figures 2 and 3 and "
        "summary.md into --out. Runs already complete with the same settings are skipped, so a killed "
        "sweep resumes where it stopped."))
    arguments.run_options(parser, blog.LEARNING_RATES)
    arguments.seeds_option(parser, "--seeds", [blog.SEED], "graph (initial weights) and data-order seeds; "
                           "each seed is a run per model and learning rate")
    arguments.engine_option(parser)
    arguments.measure_option(parser, False)
    arguments.sweep_options(parser)
    arguments.outputs(parser, "results")
    parser.add_argument("--reference", nargs="+", type=arguments.input_dir, metavar="DIR",
                        help="other results directories (e.g. made with --engine faithful, or on TF 1.15) to "
                             "put beside these runs in summary.md [default: those of %s that exist]"
                        % ", ".join("OUT/" + path for path in report.DEFAULT_REFERENCES))
    return parser


def reproduce_blog(argv=None, prog="reproduce_blog.py"):
    """Entry point of ``reproduce_blog.py``; returns the exit code."""
    def write(options):
        references = options.reference or report.default_references(options.out)
        return ["wrote " + ", ".join(report.write_report(options.out, references))]

    return study(prog, reproduce_blog_parser(prog), argv, lambda options: [
        Sweep(options.out, blog_specs(options, options.seeds, options.engine), train_blog_run,
              keep_weights=True)], write)


def claims_parser(prog="claims.py"):
    parser = arguments.Parser(prog, (
        "Test the blog's six claims: both models at the blog's learning rates over --seeds and over a wide "
        "learning-rate grid over --grid-seeds, with per-step sparsity and gradient measurements. Writes the "
        "runs, Figures 2 and 3 (blog rates), the measurement and learning-rate figures into --out and the "
        "verdicts to --report. Finished runs are skipped."))
    defaults = claims_config.Settings()
    arguments.run_options(parser, defaults.rates)
    arguments.seeds_option(parser, "--seeds", list(defaults.seeds), "seeds at the blog's learning rates "
                           "(--learning-rates)")
    parser.add_argument("--grid-rates", nargs="+", type=arguments.number(float),
                        default=list(defaults.grid_rates), metavar="RATE", help="the wide learning-rate grid")
    arguments.seeds_option(parser, "--grid-seeds", list(defaults.grid_seeds), "seeds over the grid")
    arguments.engine_option(parser)
    arguments.measure_option(parser, True)
    arguments.sweep_options(parser)
    parser.add_argument("--comparison", type=arguments.input_dir, metavar="DIR",
                        help="the comparison study's records (compare.py --out DIR), for claims C7-C9")
    arguments.outputs(parser, "results/claims", "results/claims.md")
    return parser


def claims_study(argv=None, prog="claims.py"):
    """Entry point of ``claims.py``; returns the exit code."""
    def sweeps(options):
        specs = (blog_specs(options, options.seeds, options.engine)
                 + blog_specs(options, options.grid_seeds, options.engine, options.grid_rates))
        return [Sweep(options.out, list(dict.fromkeys(specs)), train_blog_run)]

    def write(options):
        paths = claims_report.write_claims(options.out, options.report, options.comparison)
        return ["wrote " + ", ".join(paths)]

    return study(prog, claims_parser(prog), argv, sweeps, write)


def engine_equivalence_parser(prog="engine_equivalence.py"):
    parser = arguments.Parser(prog, (
        "Train the same runs with two engines over several seeds and test whether their test accuracies and "
        "curves are statistically indistinguishable (paired t-test, Wilcoxon signed-rank, TOST equivalence). "
        "Runs go to --out/<engine>/, the report to --report."))
    defaults = equivalence.Settings()
    arguments.run_options(parser, defaults.rates)
    arguments.seeds_option(parser, "--seeds", list(defaults.seeds), "seeds")
    parser.add_argument("--engines", nargs=2, choices=blog.ENGINES, default=list(defaults.engines),
                        metavar=("REFERENCE", "CANDIDATE"), help="the two engines to compare")
    parser.add_argument("--accuracy-margin", type=arguments.number(float), default=defaults.accuracy_margin,
                        help="equivalence margin for accuracies (TOST)")
    parser.add_argument("--log-loss-margin", type=arguments.number(float), default=defaults.log_loss_margin,
                        help="equivalence margin for log10 of the final training loss (TOST)")
    parser.add_argument("--collapsed-below", type=arguments.number(float, 1),
                        default=defaults.collapsed_below,
                        help="leave out cells where both engines' mean test accuracy is below this (both "
                             "fail there)")
    arguments.measure_option(parser, True)
    arguments.sweep_options(parser)
    arguments.outputs(parser, "results/engine_equivalence", "results/engine_equivalence.md",
             "the records in --out/<engine>/")
    return parser


def engine_equivalence(argv=None, prog="engine_equivalence.py"):
    """Entry point of ``engine_equivalence.py``; returns the exit code."""
    def sweeps(options):
        return [Sweep(os.path.join(options.out, engine), blog_specs(options, options.seeds, engine),
                      train_blog_run)
                for engine in options.engines]

    def write(options):
        runs = [records.load_records(os.path.join(options.out, engine)) for engine in options.engines]
        try:
            settings = equivalence.Settings(options.learning_rates, options.seeds, tuple(options.engines),
                                            options.accuracy_margin, options.log_loss_margin,
                                            options.collapsed_below)
            result = equivalence.write_report(*runs, options.report, settings)
        except ValueError as error:  # runs that cannot be paired
            raise RecordError(str(error)) from None
        return ["%s: %s" % (options.report, result["verdict"])]

    return study(prog, engine_equivalence_parser(prog), argv, sweeps, write)


def part2_parser(prog="part2.py"):
    parser = arguments.Parser(prog, (
        "Part II the blog promised: minibatch training of MLPs and CNNs with multi- or central-threshold "
        "layers, at several batch sizes, with the blog's N(0, 1) init and a scaled (He/Glorot) init. Writes "
        "run_*.json, learning_curves.png and summary.md into --out; complete runs with the same settings are "
        "skipped."))
    defaults = part2_study.Settings()
    parser.add_argument("--architectures", nargs="+", choices=defaults.architectures,
                        default=list(defaults.architectures))
    parser.add_argument("--kinds", nargs="+", choices=blog.MODELS, default=list(blog.MODELS),
                        help="hidden-layer neuron models")
    parser.add_argument("--batch-sizes", nargs="+", type=arguments.number(int, blog.TRAIN_EXAMPLES),
                        default=list(defaults.batch_sizes), metavar="N")
    parser.add_argument("--inits", nargs="+", choices=defaults.inits, default=list(defaults.inits))
    parser.add_argument("--learning-rate", type=arguments.number(float), default=blog.LEARNING_RATE)
    parser.add_argument("--epochs", type=arguments.number(int), default=defaults.n_epochs,
                        help="epochs per run")
    arguments.examples_option(parser)
    arguments.seed_option(parser)
    arguments.sweep_options(parser)
    arguments.outputs(parser, "results/part2")
    return parser


def part2(argv=None, prog="part2.py"):
    """Entry point of ``part2.py``; returns the exit code."""
    def sweeps(options):
        minibatch.prefer_onednn()  # before the workers start: they inherit it, and every record stores it
        settings = part2_study.Settings(options.architectures, options.kinds, options.batch_sizes,
                                        options.inits, options.learning_rate, options.seed, options.epochs,
                                        options.examples_per_epoch)
        return [Sweep(options.out, part2_study.specs(settings), minibatch.train)]

    def write(options):
        if not options.report_only:
            part2_study.write_linearity_check(options.data_dir, options.out, options.seed)
        return ["wrote " + ", ".join(part2_study.write_report(options.out))]

    return study(prog, part2_parser(prog), argv, sweeps, write)


def compare_parser(prog="compare.py"):
    defaults = comparison.Settings()
    parser = arguments.Parser(prog, (
        "Is the multi-threshold neuron any good? Every cell (data set, network, hidden neuron, init, batch "
        "size) picks its learning rate on the validation set from a log grid (one run per rate, on the "
        "search's own seed), then trains it with every final seed and scores the test set; every run stops "
        "early on validation, and a final run that hit the cap trains again at twice the cap. Multi- "
        "against central-threshold MLPs and CNNs, the paper's neuron and the blog's approximations of it "
        "one at a time, controls, softmax regression; on MNIST and MNIST-1D. "
        "Writes run_*.json, init_check.json, summary.md and figures into --out; complete runs are skipped."))
    parser.add_argument("--groups", nargs="+", choices=comparison.GROUPS, default=list(defaults.groups),
                        help="what to train: central against multi MLPs, the paper's neuron and the blog's "
                             "approximations, the controls, the CNNs, the linear baseline")
    parser.add_argument("--datasets", nargs="+", choices=comparison.DATASETS, default=list(defaults.datasets))
    parser.add_argument("--batch-sizes", nargs="+", type=arguments.number(int, blog.TRAIN_EXAMPLES),
                        default=list(defaults.batch_sizes), metavar="N")
    parser.add_argument("--learning-rates", nargs="+", type=arguments.number(float),
                        default=list(defaults.rates), metavar="RATE", help="the grid each cell searches")
    parser.add_argument("--extensions", type=arguments.count(10), default=defaults.extensions,
                        metavar="N", help="rates searched past an end of the grid (the next of 1, 3, 10, "
                                          "30, ... x 10^k) while a cell's best rate lies on that end")
    parser.add_argument("--longer", type=arguments.count(5), default=defaults.longer, metavar="N",
                        help="times a final run that hit the cap (early stopping had not ended it) trains "
                             "again at twice the cap, the same seed and rate")
    parser.add_argument("--seeds", type=_final_seeds, default=list(defaults.seeds), metavar="SEEDS",
                        help="final seeds of each chosen rate, as a range or list: 1-10, 1,3,5, 1-3,7 (the "
                             "search has its own, %d)" % comparison.SEARCH_SEED)
    for dataset in comparison.DATASETS:
        parser.add_argument("--%s-max-epochs" % dataset, type=arguments.number(int),
                            default=defaults.max_epochs[dataset],
                            help="the most epochs of a %s run" % dataset)
        parser.add_argument("--%s-patience" % dataset, type=arguments.number(int),
                            default=defaults.patience[dataset],
                            help="epochs without a better validation accuracy before a %s run stops"
                                 % dataset)
    arguments.examples_option(parser)
    arguments.sweep_options(parser)
    arguments.outputs(parser, "results/compare")
    return parser


def _final_seeds(text):
    """``arguments.seeds``, refusing the comparison's search seed (a final seed is never a search's)."""
    chosen = arguments.seeds(text)
    if comparison.SEARCH_SEED in chosen:
        raise argparse.ArgumentTypeError("seed %d is the learning-rate search's own: choose final seeds "
                                         "without it (e.g. 1-5)" % comparison.SEARCH_SEED)
    return chosen


def compare(argv=None, prog="compare.py"):
    """Entry point of ``compare.py``; returns the exit code."""
    def sweeps(options):
        minibatch.prefer_onednn()  # before the workers start: they inherit it, and every record stores it
        budget = [{dataset: getattr(options, "%s_%s" % (dataset, what)) for dataset in comparison.DATASETS}
                  for what in ("max_epochs", "patience")]
        settings = comparison.Settings(options.groups, options.datasets, options.batch_sizes,
                                       options.learning_rates, options.seeds, *budget,
                                       options.examples_per_epoch, options.extensions, options.longer)
        for planned in plan.stages(options.out, settings):
            yield Sweep(options.out, planned, minibatch.train)

    def write(options):
        if not options.report_only:
            init_check.write_init_check(options.data_dir, options.out)
        return ["wrote " + ", ".join(comparison_report.write_report(options.out))]

    return study(prog, compare_parser(prog), argv, sweeps, write)
