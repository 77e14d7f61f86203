"""Figures of the course demos on Fashion-MNIST, by figure id (fig-fashion-*)."""

import pandas as pd

from regularization_report.figures.style import figure_stem, save_figure
from regularization_report.logs import setup_logging
from regularization_report.nn.fashion_course import batchnorm_figure, overfitting_figure

setup_logging(snakemake.log[0])
stem = figure_stem(snakemake.output)
draw = {"fig-fashion-overfitting": overfitting_figure, "fig-fashion-batchnorm": batchnorm_figure}
save_figure(
    draw[stem.name](pd.read_csv(snakemake.input.curves)),
    stem,
    caption=snakemake.params.caption,
    script=snakemake.params.script,
    rule=snakemake.rule,
    inputs=snakemake.input,
)
