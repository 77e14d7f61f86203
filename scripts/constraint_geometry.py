"""C5: loss contours, L1/L2 constrained optima at several budgets, and Lp unit balls."""

from pathlib import Path

import pandas as pd

from regularization_report.data import read_raw
from regularization_report.geometry import (
    constrained_optima,
    geometry_values,
    least_squares,
    loss_grid,
    lp_unit_ball,
    two_feature_problem,
)
from regularization_report.io import write_csv, write_json
from regularization_report.logs import setup_logging
from regularization_report.threads import limit_threads

log = setup_logging(snakemake.log[0])
limit_threads(snakemake.threads)
p = snakemake.params
X_all, y_all = read_raw(Path(snakemake.input.data).parent)
X, y = two_feature_problem(X_all.assign(target=y_all), list(p.features))
optima = constrained_optima(X, y, list(p.budget_fractions))
write_csv(loss_grid(X, y, grid_size=p.grid_size), snakemake.output.loss_grid)
write_csv(optima, snakemake.output.optima)
balls = pd.concat([lp_unit_ball(q, p.n_ball_points) for q in p.lp_ball_ps], ignore_index=True)
write_csv(balls, snakemake.output.lp_unit_balls)
write_json(
    geometry_values(optima, list(p.features), least_squares(X, y), list(p.lp_ball_ps)),
    snakemake.output.values,
)
log.info("\n" + optima.to_string(index=False))
