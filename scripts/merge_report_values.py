"""Merge every part's values into results/report_values.json (what the prose quotes)."""

from regularization_report.files import write_json
from regularization_report.logs import setup_logging
from regularization_report.report.assets import merge_values

log = setup_logging(snakemake.log[0])
values = merge_values(snakemake.input)
write_json(values, snakemake.output[0])
log.info(f"merged {len(values)} value files: {', '.join(values)}")
