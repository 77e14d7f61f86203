"""Figure fig-alpha-selection: K-fold CV error and train/test error over repeated splits."""

import pandas as pd

from regularization_report.io import read_json
from regularization_report.linear_figures import alpha_selection
from regularization_report.logs import setup_logging
from regularization_report.plotting import figure_stem, save_figure

setup_logging(snakemake.log[0])
figure = alpha_selection(
    pd.read_csv(snakemake.input.cv_error),
    pd.read_csv(snakemake.input.split_error_summary),
    read_json(snakemake.input.values)["choice"],
)
save_figure(
    figure,
    figure_stem(snakemake.output),
    caption=snakemake.params.caption,
    script=snakemake.params.script,
    rule=snakemake.rule,
    inputs=snakemake.input,
)
