"""Regularization in machine learning: a reproducible report.

The package holds every piece of logic the workflow uses: data preparation,
models, training, metrics and plotting. Snakemake scripts in ``scripts/`` are
thin adapters that read ``snakemake.input``/``params`` and call into here.
"""

__version__ = "0.1.0"
