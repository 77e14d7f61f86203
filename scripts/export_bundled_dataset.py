"""Export a scikit-learn bundled dataset to data/raw/<name>/ with its SHA-256."""

from pathlib import Path

from regularization_report.data.bundled import export_bundled
from regularization_report.logs import setup_logging

log = setup_logging(snakemake.log[0])
name = snakemake.wildcards.dataset
manifest = export_bundled(name, Path(snakemake.output.data).parent)
log.info(f"{name}: {manifest['n_rows']} rows, sha256 {manifest['files'][0]['sha256']}")
