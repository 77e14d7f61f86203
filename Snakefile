# Regularization in machine learning: from raw data to a rendered report.
#   snakemake --cores 4                                  default, offline profile
#   snakemake --cores 4 --configfile config/full.yaml    adds Fashion-MNIST
# The Snakefile only wires: config, validation, rule files, the target rule.

from pathlib import Path


configfile: Path(workflow.basedir) / "config" / "config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/linear.smk"
include: "workflow/rules/basics.smk"
include: "workflow/rules/nn.smk"
include: "workflow/rules/fashion_mnist.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        all_targets,
