"""results/values/fashion_mnist.json: the course demos' numbers and the comparison
(live or archived), or the settings alone."""

from pathlib import Path

import pandas as pd

from regularization_report.files import read_json, write_json
from regularization_report.logs import setup_logging
from regularization_report.nn.fashion_course import comparison_values, course_values

setup_logging(snakemake.log[0])
summary = pd.read_csv(snakemake.input.summary[0]) if snakemake.input.summary else None
values = course_values(summary, snakemake.params.settings)
if snakemake.input.get("comparison"):
    values["comparison"] = comparison_values(
        pd.read_csv(snakemake.input.comparison),
        read_json(snakemake.input.provenance),
        source="live" if snakemake.params.comparison_live else "archive",
        folder=str(Path(snakemake.input.comparison).parent),
    )
else:
    values["comparison"] = None
write_json(values, snakemake.output[0])
