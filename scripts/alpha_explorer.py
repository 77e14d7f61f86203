"""C9: Lasso and Ridge coefficients and errors on the slider's alpha grid (diabetes split)."""

from regularization_report.data import load_split
from regularization_report.explorer import alpha_explorer_data, explorer_alphas, explorer_values
from regularization_report.io import write_csv, write_json
from regularization_report.logs import setup_logging
from regularization_report.threads import limit_threads

log = setup_logging(snakemake.log[0])
limit_threads(snakemake.threads)
p = snakemake.params
split = load_split(snakemake.input.split)
alphas = explorer_alphas(split, n_alphas=p.n_alphas, min_ratio=p.alpha_min_ratio)
coefficients, errors = alpha_explorer_data(split, alphas=alphas)
write_csv(coefficients, snakemake.output.coefficients)
write_csv(errors, snakemake.output.errors)
write_json(explorer_values(errors), snakemake.output.values)
log.info("\n" + errors.to_string(index=False))
