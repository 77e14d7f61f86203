"""Snakemake adapter: fetch and verify a downloadable dataset into the manifest's folder.

Rule interface:
    params:  name (registered dataset, e.g. "fashion_mnist");
             base_urls (list of source URLs, or None/empty for the registry's sources);
             optional retries, backoff, timeout
    output:  manifest = "data/raw/<name>/manifest.json" (only the manifest: the data files
             must not be outputs, or Snakemake would delete files placed by hand)
    log:     one file; logging and stderr (tracebacks included) go there
"""

import logging
import sys
from pathlib import Path

from regularization_report.data.download import fetch_dataset

with Path(snakemake.log[0]).open("w", encoding="utf-8") as log_file:
    sys.stderr = log_file
    logging.basicConfig(
        stream=log_file,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    try:
        fetch_dataset(
            snakemake.params.name,
            Path(snakemake.output.manifest).parent,
            base_urls=snakemake.params.get("base_urls") or None,
            retries=snakemake.params.get("retries", 3),
            backoff=snakemake.params.get("backoff", 1.0),
            timeout=snakemake.params.get("timeout", 60.0),
            progress=False,
        )
    except Exception:
        # The message says where to place the files by hand: keep it in the log.
        logging.getLogger("download_dataset").exception("download failed")
        raise
    finally:
        # The traceback of a failure is printed after this block; send it to the console.
        logging.shutdown()
        sys.stderr = sys.__stderr__
