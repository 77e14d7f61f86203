"""Figure fig-lp-unit-balls: the unit balls of the Lp norms in two dimensions."""

import pandas as pd

from regularization_report.linear_figures import lp_unit_balls
from regularization_report.logs import setup_logging
from regularization_report.plotting import figure_stem, save_figure

setup_logging(snakemake.log[0])
save_figure(
    lp_unit_balls(pd.read_csv(snakemake.input.lp_unit_balls)),
    figure_stem(snakemake.output),
    caption=snakemake.params.caption,
    script=snakemake.params.script,
    rule=snakemake.rule,
    inputs=snakemake.input,
)
