"""The course demos on Fashion-MNIST: one summary row per run, and every epoch's curves."""

from regularization_report.fashion_mnist import curves_frame, summary_frame
from regularization_report.io import write_csv
from regularization_report.logs import setup_logging

log = setup_logging(snakemake.log[0])
summary = summary_frame(snakemake.input.runs)
write_csv(summary, snakemake.output.summary)
write_csv(curves_frame(snakemake.input.histories), snakemake.output.curves)
log.info("\n" + summary.to_string(index=False))
