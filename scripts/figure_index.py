"""Collect the figure sidecars into report/figures/index.csv."""

from regularization_report.files import write_csv
from regularization_report.logs import setup_logging
from regularization_report.report.assets import figure_index

log = setup_logging(snakemake.log[0])
index = figure_index(snakemake.input)
write_csv(index, snakemake.output[0])
log.info(f"{len(index)} figures indexed")
