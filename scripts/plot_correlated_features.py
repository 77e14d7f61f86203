"""Figure fig-correlated-features: Lasso, ElasticNet and Ridge paths on correlated data."""

import pandas as pd

from regularization_report.linear_figures import correlated_features
from regularization_report.logs import setup_logging
from regularization_report.plotting import figure_stem, save_figure

setup_logging(snakemake.log[0])
figure = correlated_features(
    pd.read_csv(snakemake.input.paths),
    pd.read_csv(snakemake.input.coefficients),
    alpha=snakemake.params.alpha,
)
save_figure(
    figure,
    figure_stem(snakemake.output),
    caption=snakemake.params.caption,
    script=snakemake.params.script,
    rule=snakemake.rule,
    inputs=snakemake.input,
)
