# Regularization in machine learning: from raw data to a rendered report.
#   snakemake --cores 4                                  default, offline profile
#   snakemake --cores 4 --configfile config/full.yaml    adds Fashion-MNIST
# The Snakefile only wires: config, validation, rule files, the target rule.

import sys
from pathlib import Path

sys.path.insert(0, str(Path(workflow.basedir) / "src"))
from regularization_report import checks

DEFAULT_CONFIG = Path(workflow.basedir) / "config" / "config.yaml"
try:  # a YAML error names the file and line; Snakemake's own loader does not
    checks.check_config_files([DEFAULT_CONFIG])
except checks.CheckError as error:
    raise WorkflowError(str(error)) from None


configfile: DEFAULT_CONFIG


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
        get_final_output(config),


# Every script rule's params carry the version of the code it runs (common.smk).
add_code_versions()


onerror:
    explain_killed_jobs(log)
