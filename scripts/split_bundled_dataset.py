"""Split a raw bundled dataset into the fixed train/validation/test partition."""

from pathlib import Path

from regularization_report.data.bundled import BUNDLED, process_bundled
from regularization_report.logs import setup_logging

log = setup_logging(snakemake.log[0])
name = snakemake.wildcards.dataset
split = snakemake.params.split
parts = process_bundled(
    Path(snakemake.input.data).parent,
    snakemake.output[0],
    task=BUNDLED[name].task,
    test_size=split["test_size"],
    val_size=split["val_size"],
    seed=split["seed"],
)
sizes = ", ".join(f"{k}={len(v)}" for k, v in parts.items() if k.startswith("y_"))
log.info(f"{name}: {sizes}")
