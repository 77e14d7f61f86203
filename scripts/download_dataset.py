"""Snakemake adapter: fetch and verify Fashion-MNIST into the manifest's folder.

Rule interface:
    params:  folder (a local folder tried first when it exists, or None);
             base_urls (list of base URLs, [] for Zalando's); retries; timeout
    output:  manifest = "data/raw/fashion_mnist/manifest.json" (only the manifest: the
             data files must not be outputs, or Snakemake would delete files placed by hand)
    log:     one file; the failure message (what was tried, what to do) goes there too
"""

from pathlib import Path

from regularization_report.data.fashion_mnist import fetch_fashion_mnist
from regularization_report.logs import setup_logging

setup_logging(snakemake.log[0])
fetch_fashion_mnist(
    Path(snakemake.output.manifest).parent,
    folder=snakemake.params.folder,
    base_urls=snakemake.params.base_urls,
    retries=snakemake.params.retries,
    timeout=snakemake.params.timeout,
)
