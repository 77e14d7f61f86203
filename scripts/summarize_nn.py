"""Collect every neural-network run: summary, curves, steps, analyses and test rows (CSV)."""

from regularization_report.files import write_csv
from regularization_report.logs import setup_logging
from regularization_report.nn.summary import (
    analyses_frame,
    curves_frame,
    steps_frame,
    summary_frame,
    test_rows_frame,
)

log = setup_logging(snakemake.log[0])
summary = summary_frame(snakemake.input.runs)
write_csv(summary, snakemake.output.summary)
write_csv(curves_frame(snakemake.input.histories), snakemake.output.curves)
write_csv(steps_frame(snakemake.input.steps), snakemake.output.steps)
write_csv(analyses_frame(snakemake.input.runs), snakemake.output.analyses)
write_csv(test_rows_frame(snakemake.input.runs), snakemake.output.test_rows)
log.info(f"{len(summary)} runs, {int(summary['diverged'].sum())} diverged")
