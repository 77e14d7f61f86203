"""Figure fig-alpha-explorer: the interactive HTML explorer and its static small-multiples twin."""

import pandas as pd

from regularization_report.explorer import alpha_explorer_figure, explorer_html
from regularization_report.io import atomic_open
from regularization_report.linear_figures import alpha_explorer_static
from regularization_report.logs import setup_logging
from regularization_report.plotting import figure_stem, save_figure

setup_logging(snakemake.log[0])
coefficients = pd.read_csv(snakemake.input.coefficients)
errors = pd.read_csv(snakemake.input.errors)
with atomic_open(snakemake.output.html, "w", encoding="utf-8") as handle:
    handle.write(explorer_html(alpha_explorer_figure(coefficients, errors)))
save_figure(
    alpha_explorer_static(coefficients, errors, n_panels=snakemake.params.n_panels),
    figure_stem(snakemake.output),
    caption=snakemake.params.caption,
    script=snakemake.params.script,
    rule=snakemake.rule,
    inputs=snakemake.input,
)
