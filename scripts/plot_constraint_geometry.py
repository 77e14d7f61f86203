"""Figure fig-constraint-geometry: loss contours, L1 diamonds and L2 discs, the optima."""

import pandas as pd

from regularization_report.linear_figures import constraint_geometry
from regularization_report.logs import setup_logging
from regularization_report.plotting import figure_stem, save_figure

setup_logging(snakemake.log[0])
figure = constraint_geometry(
    pd.read_csv(snakemake.input.loss_grid),
    pd.read_csv(snakemake.input.optima),
    list(snakemake.params.features),
)
save_figure(
    figure,
    figure_stem(snakemake.output),
    caption=snakemake.params.caption,
    script=snakemake.params.script,
    rule=snakemake.rule,
    inputs=snakemake.input,
)
