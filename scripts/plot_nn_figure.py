"""Draw one neural-network figure (its id is the output's stem) from the aggregated tables."""

import pandas as pd

from regularization_report.logs import setup_logging
from regularization_report.nn_figures import FIGURES
from regularization_report.plotting import figure_stem, save_figure

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
