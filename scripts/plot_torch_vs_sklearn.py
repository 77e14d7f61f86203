"""Figure fig-torch-vs-sklearn: PyTorch and scikit-learn coefficients, and convergence."""

import pandas as pd

from regularization_report.linear_figures import torch_vs_sklearn
from regularization_report.logs import setup_logging
from regularization_report.plotting import figure_stem, save_figure

setup_logging(snakemake.log[0])
figure = torch_vs_sklearn(
    pd.read_csv(snakemake.input.coefficients), pd.read_csv(snakemake.input.history)
)
save_figure(
    figure,
    figure_stem(snakemake.output),
    caption=snakemake.params.caption,
    script=snakemake.params.script,
    rule=snakemake.rule,
    inputs=snakemake.input,
)
