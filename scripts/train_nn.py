"""Train every seed of one (dataset, experiment, variant): see nn_experiments.run_variant."""

from regularization_report.logs import setup_logging
from regularization_report.nn.analyses import run_variant

log = setup_logging(snakemake.log[0])
w = snakemake.wildcards
run_variant(
    snakemake.input.data,
    snakemake.params.spec,
    dataset=w.dataset,
    experiment=w.experiment,
    variant=w.variant,
    device=snakemake.params.device,
    threads=snakemake.threads,
    deterministic=snakemake.params.deterministic,
)
