"""C6: correlated features on constructed data; paths, coefficients, selection shares."""

import pandas as pd

from regularization_report.correlated import (
    correlated_design,
    correlated_features,
    correlated_values,
)
from regularization_report.io import write_csv, write_json
from regularization_report.logs import setup_logging
from regularization_report.paths import path_grid, standardize
from regularization_report.threads import limit_threads

log = setup_logging(snakemake.log[0])
limit_threads(snakemake.threads)
p = snakemake.params
X, y = correlated_design(
    n_samples=p.n_samples,
    group_size=p.group_size,
    n_noise_features=p.n_noise_features,
    within_group_noise=p.within_group_noise,
    signal_coef=p.signal_coef,
    noise=p.noise,
    seed=p.seed,
)
alphas = path_grid(
    standardize(X.to_numpy()),
    y,
    n_alphas=p.n_alphas,
    min_ratio=p.alpha_min_ratio,
    max_ratio=p.alpha_max_ratio,
)
paths, coefficients = correlated_features(
    X, y, alphas=alphas, alpha=p.alpha, l1_ratio=p.l1_ratio, n_resamples=p.n_resamples, seed=p.seed
)
table = coefficients.pivot(index="feature", columns="model", values=["coef", "selected_share"])
table.columns = [f"{model}_{stat}" for stat, model in table.columns]
table = (table.reindex(pd.Index(X.columns, name="feature")) + 0.0).reset_index()
write_csv(paths, snakemake.output.paths)
write_csv(coefficients, snakemake.output.coefficients)
write_csv(table, snakemake.output.table)
write_json(
    correlated_values(
        X,
        coefficients,
        alpha=p.alpha,
        l1_ratio=p.l1_ratio,
        n_resamples=p.n_resamples,
        n_samples=p.n_samples,
        group_size=p.group_size,
        n_noise_features=p.n_noise_features,
        within_group_noise=p.within_group_noise,
        signal_coef=p.signal_coef,
        noise=p.noise,
    ),
    snakemake.output.values,
)
log.info("\n" + table.to_string(index=False))
