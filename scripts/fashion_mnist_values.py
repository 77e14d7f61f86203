"""results/values/fashion_mnist.json: the course demos' numbers, or their settings alone."""

import pandas as pd

from regularization_report.files import write_json
from regularization_report.logs import setup_logging
from regularization_report.nn.fashion_course import course_values

setup_logging(snakemake.log[0])
summary = pd.read_csv(snakemake.input.summary[0]) if snakemake.input.summary else None
write_json(course_values(summary, snakemake.params.settings), snakemake.output[0])
