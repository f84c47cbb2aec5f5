"""``claims.md``: every claim with its measurement, figure, rule and verdict, and the claims figures."""

import os

from mtneuron import blog
from mtneuron.blog_runs import learning_rates, seed_counts
from mtneuron.run import records
from mtneuron.run.files import save_figure, write_text
from mtneuron.run.markdown import bullets, provenance, table
from mtneuron.run.records import format_rate
from mtneuron.studies.claims import blog_claims, comparison_claims, figures
from mtneuron.studies.claims.measurements import FAMILIES, measurement_names, values_text
from mtneuron.studies.reproduction import report

NETWORK = "-".join(str(size) for size in (blog.INPUT_SIZE,) + blog.HIDDEN_SIZES + (blog.NUM_CLASSES,))


def write_claims(out_dir, report_path, comparison_dir=None):
    """Write the claims figures and the blog report of the blog's learning rates (summary.md, Figures 2
    and 3) into ``out_dir``, and ``report_path`` (claims.md, with C7-C11 when ``comparison_dir`` holds the
    comparison study's records); return the paths."""
    runs = records.load_records(out_dir)
    comparison = records.load_records(comparison_dir) if comparison_dir else None
    paths = report.write_report(out_dir, rates=blog.LEARNING_RATES)
    paths.append(os.path.join(out_dir, figures.GRID_FIGURE))
    save_figure(figures.grid_figure(runs), paths[-1])
    if any("weights_frozen" in run for run in runs):
        paths.append(os.path.join(out_dir, figures.FROZEN_FIGURE))
        save_figure(figures.frozen_figure(runs), paths[-1])
    for family, description in FAMILIES:
        if measurement_names(runs, family):
            paths.append(os.path.join(out_dir, figures.figure_name(family)))
            save_figure(figures.measurement_figure(runs, family, description), paths[-1])
    write_text(report_path, claims_markdown(runs, _relative(out_dir, report_path), comparison,
                                            _relative(comparison_dir or ".", report_path)))
    return paths + [report_path]


def _relative(directory, report_path):
    """``directory`` as the report at ``report_path`` names it."""
    return os.path.relpath(directory, os.path.dirname(os.path.abspath(report_path)) or ".")


def claims_markdown(runs, figure_dir=".", comparison=None, comparison_figure_dir="."):
    """``claims.md``: each claim with its measurement, figure, rule and verdict; provenance last. C7-C11 need
    the ``comparison`` study's records (their figures in ``comparison_figure_dir``)."""
    grid = learning_rates(runs)
    blog_seeds = sorted({run["seed"] for run in runs if run["learning_rate"] in blog.LEARNING_RATES})
    where = {figures.OWN: figure_dir, figures.COMPARISON: comparison_figure_dir}
    results = [(claim_id, text, test(runs), shown) for claim_id, text, test, shown in blog_claims.CLAIMS]
    results += [(claim_id, text, test(runs, comparison), shown)
                for claim_id, text, test, shown in (comparison_claims.CLAIMS if comparison else ())]
    lines = ["# Do the blog's claims hold?", "",
             "%d runs: both models at %d learning rates (%s), %s seeds per cell (%d seeds at the blog's four "
             "rates); the blog's setup otherwise (%s, batch size 1, Adam, %s epochs of %s "
             "examples). Each run records its curves and, every %d examples, the mean of per-step "
             "measurements. Models are compared seed by seed. Figures are in `%s/`." % (
                 len(runs), len(grid), ", ".join(format_rate(rate) for rate in grid),
                 seed_counts(runs), len(blog_seeds), NETWORK, values_text(runs, "n_epochs"),
                 values_text(runs, "n_examples"), runs[0]["average_every"], figure_dir), "",
             table(["claim", "verdict"], [["%s: %s" % (claim_id, text), "**%s**" % result[0]]
                                          for claim_id, text, result, _ in results])]
    if not comparison:
        lines += ["", "C7-C11 need the comparison study's records: `mtneuron compare`, then "
                  "`mtneuron claims --report-only --comparison results/compare`."]
    for claim_id, text, (verdict, rule, findings), shown in results:
        lines += ["", "## %s: %s" % (claim_id, text), "", "**Verdict: %s.** Rule: %s." % (verdict, rule), ""]
        lines += bullets(findings)
        lines += ["", "%s: %s." % ("Figure" if len(shown) == 1 else "Figures", ", ".join(
            "`%s`" % os.path.join(where[study], name) for study, name in shown))]
    lines += ["", "## Provenance", ""] + bullets(provenance(runs)) + [""]
    if comparison:
        lines += ["## Provenance of the comparison study", ""] + bullets(provenance(comparison)) + [""]
    return "\n".join(lines)
