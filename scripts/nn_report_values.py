"""E5 table and the neural-network values the report quotes."""

import pandas as pd

from regularization_report.files import write_csv, write_json
from regularization_report.logs import setup_logging
from regularization_report.nn.summary import comparison_table, nn_values

log = setup_logging(snakemake.log[0])
p = snakemake.params
summary = pd.read_csv(snakemake.input.summary)
test_rows = pd.read_csv(snakemake.input.test_rows)
comparison = comparison_table(summary, test_rows, p.comparison_rows, p.comparison_datasets)
write_csv(comparison, snakemake.output.comparison)
values = nn_values(
    summary,
    pd.read_csv(snakemake.input.analyses),
    pd.read_csv(snakemake.input.steps),
    pd.read_csv(snakemake.input.equivalence),
    comparison,
    test_rows,
    seeds=p.seeds,
)
write_json(values, snakemake.output.values)
log.info("\n" + comparison.to_string(index=False))
