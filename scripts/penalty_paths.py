"""C3/C4: Lasso, ElasticNet and Ridge paths on one alpha grid, and their nonzero counts."""

from pathlib import Path

from regularization_report.data import read_raw
from regularization_report.io import write_csv, write_json
from regularization_report.logs import setup_logging
from regularization_report.paths import penalty_paths_experiment
from regularization_report.threads import limit_threads

log = setup_logging(snakemake.log[0])
limit_threads(snakemake.threads)
p = snakemake.params
X, y = read_raw(Path(snakemake.input.data).parent)
paths, sparsity, values = penalty_paths_experiment(
    X,
    y.to_numpy(dtype=float),
    n_alphas=p.n_alphas,
    alpha_min_ratio=p.alpha_min_ratio,
    alpha_max_ratio=p.alpha_max_ratio,
    l1_ratio=p.l1_ratio,
)
write_csv(paths, snakemake.output.paths)
write_csv(sparsity, snakemake.output.sparsity)
write_json({"dataset": snakemake.wildcards.dataset, **values}, snakemake.output.values)
log.info(f"{snakemake.wildcards.dataset}: {len(paths)} path rows; {values}")
