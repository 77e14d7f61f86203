"""C3: the exact Lasso path on diabetes, entry order, CV choice of alpha, repeated splits."""

from pathlib import Path

from regularization_report.data import load_split, read_raw
from regularization_report.io import write_csv, write_json
from regularization_report.logs import setup_logging
from regularization_report.paths import diabetes_lasso_experiment, split_error_summary
from regularization_report.threads import limit_threads

log = setup_logging(snakemake.log[0])
limit_threads(snakemake.threads)
p = snakemake.params
X, y = read_raw(Path(snakemake.input.data).parent)
out = diabetes_lasso_experiment(
    X,
    y.to_numpy(dtype=float),
    load_split(snakemake.input.split),
    n_alphas=p.n_alphas,
    alpha_min_ratio=p.alpha_min_ratio,
    cv_folds=p.cv_folds,
    n_repeats=p.n_repeats,
    test_size=p.test_size,
    seed=p.seed,
)
write_csv(out["lasso_path"], snakemake.output.lasso_path)
write_csv(out["entry_order"], snakemake.output.entry_order)
write_csv(out["cv_error"], snakemake.output.cv_error)
write_csv(out["split_errors"], snakemake.output.split_errors)
write_csv(split_error_summary(out["split_errors"]), snakemake.output.split_error_summary)
write_json({**out["values"], "choice": out["choice"]}, snakemake.output.values)
log.info("\n" + out["entry_order"].to_string(index=False))
