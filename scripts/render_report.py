"""Render the report (HTML and PDF) with Quarto; any warning fails the job."""

from pathlib import Path

from regularization_report.report.render import render

with Path(snakemake.log[0]).open("w", encoding="utf-8") as log:
    render(snakemake.params.project, list(snakemake.output), log)
