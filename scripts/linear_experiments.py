"""Run the experiments (or draw the figures) of one linear-part job, one after another.

The rule's params name each run's kind and parameters; its inputs and outputs
are the runs' files, prefixed ``<run>__`` (see regularization_report.linear.experiments).
"""

from regularization_report.linear.experiments import run_all
from regularization_report.logs import setup_logging
from regularization_report.threads import limit_threads

log = setup_logging(snakemake.log[0])
limit_threads(snakemake.threads)
runs = dict(snakemake.params.runs)
for name, run in runs.items():
    if run["kind"] == "figure":  # its sidecar names the script and rule that drew it
        provenance = {"script": snakemake.params.script, "rule": snakemake.rule}
        runs[name] = {**run, "params": {**run["params"], **provenance}}
seconds = run_all(runs, dict(snakemake.input.items()), dict(snakemake.output.items()))
log.info(f"{len(seconds)} runs in {sum(seconds.values()):.2f} s")
