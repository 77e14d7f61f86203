"""The course's printout beside the Keras reference and the port: runs, table, provenance.

Rule interface (see nn.fashion_course.comparison_runs, comparison_table, provenance):
    input:   port (port histories), keras (reference histories), keras_runs (their run.json)
    output:  runs, comparison, provenance (results/fashion_mnist/comparison/)
    params:  fashion_mnist (the config section; its hash goes into the provenance)
"""

from regularization_report.files import write_csv, write_json
from regularization_report.logs import setup_logging
from regularization_report.nn.fashion_course import (
    comparison_runs,
    comparison_table,
    provenance,
)

log = setup_logging(snakemake.log[0])
runs = comparison_runs(snakemake.input.port, snakemake.input.keras)
table = comparison_table(runs)
write_csv(runs, snakemake.output.runs)
write_csv(table, snakemake.output.comparison)
write_json(
    provenance(snakemake.params.fashion_mnist, snakemake.input.keras_runs),
    snakemake.output.provenance,
)
log.info("\n" + table.to_string(index=False))
