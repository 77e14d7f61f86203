"""Figure fig-iris-scaling: virginica scatter per scaling with OLS, Lasso and Ridge lines."""

import pandas as pd

from regularization_report.linear_figures import iris_scaling
from regularization_report.logs import setup_logging
from regularization_report.plotting import figure_stem, save_figure

setup_logging(snakemake.log[0])
p = snakemake.params
figure = iris_scaling(
    pd.read_csv(snakemake.input.points),
    pd.read_csv(snakemake.input.fits),
    feature=p.feature,
    target=p.target,
)
save_figure(
    figure,
    figure_stem(snakemake.output),
    caption=p.caption,
    script=p.script,
    rule=snakemake.rule,
    inputs=snakemake.input,
)
