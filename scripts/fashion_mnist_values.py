"""results/values/fashion_mnist.json: the course demos' numbers, or their settings alone."""

import pandas as pd

from regularization_report.fashion_mnist import course_values
from regularization_report.io import write_json
from regularization_report.logs import setup_logging

setup_logging(snakemake.log[0])
summary = pd.read_csv(snakemake.input.summary[0]) if snakemake.input.summary else None
write_json(course_values(summary, snakemake.params.settings), snakemake.output[0])
