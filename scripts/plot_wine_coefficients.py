"""Figure fig-wine-coefficients: coefficients per model and feature scaling, exact zeros visible."""

import pandas as pd

from regularization_report.linear_figures import wine_coefficients
from regularization_report.logs import setup_logging
from regularization_report.plotting import figure_stem, save_figure

setup_logging(snakemake.log[0])
coefficients = pd.read_csv(snakemake.input.coefficients)
save_figure(
    wine_coefficients(coefficients),
    figure_stem(snakemake.output),
    caption=snakemake.params.caption,
    script=snakemake.params.script,
    rule=snakemake.rule,
    inputs=snakemake.input,
)
