"""data/processed/fashion_mnist.npz from the verified IDX files beside the manifest."""

from pathlib import Path

from regularization_report.data.fashion_mnist import process_fashion_mnist
from regularization_report.logs import setup_logging

setup_logging(snakemake.log[0])
process_fashion_mnist(
    Path(snakemake.input.manifest).parent,
    snakemake.output[0],
    val_size=snakemake.params.val_size,
    seed=snakemake.params.seed,
)
