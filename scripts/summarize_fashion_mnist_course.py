"""The course demos on Fashion-MNIST: one summary row per run, and every epoch's curves."""

from regularization_report.files import write_csv
from regularization_report.logs import setup_logging
from regularization_report.nn.fashion_course import curves_frame, summary_frame

log = setup_logging(snakemake.log[0])
summary = summary_frame(snakemake.input.runs)
write_csv(summary, snakemake.output.summary)
write_csv(curves_frame(snakemake.input.histories), snakemake.output.curves)
log.info("\n" + summary.to_string(index=False))
