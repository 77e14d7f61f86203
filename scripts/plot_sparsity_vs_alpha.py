"""Figure fig-sparsity-vs-alpha: nonzero coefficients against alpha, one panel per dataset."""

import pandas as pd

from regularization_report.linear_figures import sparsity_vs_alpha
from regularization_report.logs import setup_logging
from regularization_report.plotting import figure_stem, save_figure

setup_logging(snakemake.log[0])
tables = {
    dataset: pd.read_csv(path)
    for dataset, path in zip(snakemake.params.datasets, snakemake.input.sparsity, strict=True)
}
save_figure(
    sparsity_vs_alpha(tables),
    figure_stem(snakemake.output),
    caption=snakemake.params.caption,
    script=snakemake.params.script,
    rule=snakemake.rule,
    inputs=snakemake.input,
)
