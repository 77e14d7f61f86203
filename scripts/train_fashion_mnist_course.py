"""Train every seed of one variant of the course's demos: see fashion_mnist.run_course_variant."""

from pathlib import Path

from regularization_report.logs import setup_logging
from regularization_report.nn.fashion_course import run_course_variant

setup_logging(snakemake.log[0])
run_course_variant(
    Path(snakemake.input.manifest).parent,
    snakemake.params.spec,
    device=snakemake.params.device,
    threads=snakemake.threads,
    deterministic=snakemake.params.deterministic,
)
