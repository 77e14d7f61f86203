"""Figure fig-digits-coefficients: each digit's 8 x 8 weight image, L1 above L2."""

import pandas as pd

from regularization_report.linear_figures import digits_coefficients
from regularization_report.logs import setup_logging
from regularization_report.plotting import figure_stem, save_figure

setup_logging(snakemake.log[0])
figure = digits_coefficients(pd.read_csv(snakemake.input.coefficients), C=snakemake.params.image_c)
save_figure(
    figure,
    figure_stem(snakemake.output),
    caption=snakemake.params.caption,
    script=snakemake.params.script,
    rule=snakemake.rule,
    inputs=snakemake.input,
)
