"""Draw one figure of experiment A (its id is the output's stem) from results/basics/."""

import pandas as pd

from regularization_report.figures.basics import FIGURES
from regularization_report.figures.style import figure_stem, save_figure
from regularization_report.logs import setup_logging

setup_logging(snakemake.log[0])
stem = figure_stem(snakemake.output)
frames = [pd.read_csv(path) for path in snakemake.input]
save_figure(
    FIGURES[stem.name](*frames),
    stem,
    caption=snakemake.params.caption,
    script=snakemake.params.script,
    rule=snakemake.rule,
    inputs=snakemake.input,
)
