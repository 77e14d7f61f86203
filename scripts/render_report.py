"""Render the report (HTML, then PDF from the same execution); any warning fails the job."""

from pathlib import Path

from regularization_report.report.render import render

html, pdf = snakemake.output.html, snakemake.output.pdf
project = Path(html).parent.parent  # report/_output/index.html -> report
with Path(snakemake.log[0]).open("w", encoding="utf-8") as log:
    render(project, [html, pdf], log)
