"""Figure fig-logistic-sparsity: share of nonzero weights and accuracy against C."""

import pandas as pd

from regularization_report.linear_figures import logistic_sparsity
from regularization_report.logs import setup_logging
from regularization_report.plotting import figure_stem, save_figure

setup_logging(snakemake.log[0])
save_figure(
    logistic_sparsity(pd.read_csv(snakemake.input.metrics)),
    figure_stem(snakemake.output),
    caption=snakemake.params.caption,
    script=snakemake.params.script,
    rule=snakemake.rule,
    inputs=snakemake.input,
)
