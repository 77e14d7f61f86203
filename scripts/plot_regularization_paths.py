"""Figure fig-regularization-paths: exact Lasso path, ElasticNet and Ridge paths (diabetes)."""

import pandas as pd

from regularization_report.linear_figures import regularization_paths
from regularization_report.logs import setup_logging
from regularization_report.plotting import figure_stem, save_figure

setup_logging(snakemake.log[0])
figure = regularization_paths(
    pd.read_csv(snakemake.input.lasso_path),
    pd.read_csv(snakemake.input.entry_order),
    pd.read_csv(snakemake.input.paths),
)
save_figure(
    figure,
    figure_stem(snakemake.output),
    caption=snakemake.params.caption,
    script=snakemake.params.script,
    rule=snakemake.rule,
    inputs=snakemake.input,
)
