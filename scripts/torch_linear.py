"""C8: Lasso (subgradient and proximal) and Ridge trained in PyTorch, against scikit-learn."""

from pathlib import Path

from regularization_report.data import read_raw
from regularization_report.io import write_csv, write_json
from regularization_report.logs import setup_logging
from regularization_report.paths import standardize
from regularization_report.threads import limit_threads
from regularization_report.torch_linear import compare_with_sklearn

log = setup_logging(snakemake.log[0])
limit_threads(snakemake.threads)  # torch's threads too
p = snakemake.params
X, y = read_raw(Path(snakemake.input.data).parent)
table, history, values = compare_with_sklearn(
    standardize(X.to_numpy()),
    y.to_numpy(dtype=float),
    list(X.columns),
    alpha=p.alpha,
    n_steps=p.n_steps,
    ridge_momentum=p.ridge_momentum,
)
write_csv(table, snakemake.output.coefficients, float_format="%.12g")
write_csv(history, snakemake.output.history)
write_json(values, snakemake.output.values)
log.info("\n" + table.to_string(index=False))
