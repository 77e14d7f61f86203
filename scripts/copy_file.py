"""Copy one file (the README's copy of the rule graph), atomically."""

import shutil

from regularization_report.files import atomic_path
from regularization_report.logs import setup_logging

log = setup_logging(snakemake.log[0])
with atomic_path(snakemake.output[0]) as tmp:
    shutil.copyfile(snakemake.input[0], tmp)
    tmp.chmod(0o644)  # a file for the repository: readable by all
log.info(f"copied {snakemake.input[0]} to {snakemake.output[0]}")
