"""results/tables/data_sources.csv: every data file, its source, licence and SHA-256."""

from regularization_report.files import write_csv
from regularization_report.logs import setup_logging
from regularization_report.report.support import data_sources_frame

log = setup_logging(snakemake.log[0])
table = data_sources_frame(snakemake.input.manifests)
write_csv(table, snakemake.output[0])
log.info(f"{len(table)} data files from {table['dataset'].nunique()} datasets")
