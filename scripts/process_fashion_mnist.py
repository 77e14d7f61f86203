"""data/processed/fashion_mnist.npz from the verified IDX files beside the manifest."""

from pathlib import Path

from regularization_report.logs import setup_logging
from regularization_report.nn.fashion_course import process_fashion_mnist

setup_logging(snakemake.log[0])
process_fashion_mnist(
    Path(snakemake.input.manifest).parent,
    snakemake.output[0],
    val_size=snakemake.params.val_size,
    seed=snakemake.params.seed,
)
