"""E4: compare the final weights of the penalty variants; histogram the first layer."""

from regularization_report.files import write_csv
from regularization_report.logs import setup_logging
from regularization_report.nn.analyses import penalty_weight_tables
from regularization_report.nn.training import configure_threads

log = setup_logging(snakemake.log[0])
configure_threads(snakemake.threads)
equivalence, histogram = penalty_weight_tables(
    list(snakemake.input.checkpoints),
    snakemake.params.pairs,
    snakemake.params.histogram_variants,
)
write_csv(equivalence, snakemake.output.equivalence)
write_csv(histogram, snakemake.output.histogram)
log.info("\n" + equivalence.groupby(["dataset", "variant_a", "variant_b"]).max().to_string())
