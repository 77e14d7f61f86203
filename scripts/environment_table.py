"""results/tables/environment.csv: the versions this run used, read at run time."""

from regularization_report.files import write_csv
from regularization_report.logs import setup_logging
from regularization_report.report.support import environment_frame, read_pyproject_requirements

log = setup_logging(snakemake.log[0])
packages = read_pyproject_requirements(snakemake.input.pyproject, extras=snakemake.params.extras)
table = environment_frame(packages)
write_csv(table, snakemake.output[0])
log.info(f"recorded {len(table)} components")
