"""Figure fig-rule-graph: the workflow's rules, drawn from `snakemake --rulegraph`.

Snakemake itself is asked for the graph (with the configuration of this run), so
the picture always matches the workflow that made the report.
"""

import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from regularization_report.figures.rule_graph import draw_rule_graph, parse_rulegraph
from regularization_report.figures.style import figure_stem, save_figure
from regularization_report.logs import setup_logging

log = setup_logging(snakemake.log[0])
with tempfile.TemporaryDirectory() as tmp:
    configfile = Path(tmp) / "config.yaml"
    configfile.write_text(yaml.safe_dump(dict(snakemake.params.config)), encoding="utf-8")
    command = [
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        snakemake.params.snakefile,
        "--configfile",
        str(configfile),
        "--rulegraph",
        "dot",
        *snakemake.params.targets,
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
if result.returncode != 0:
    raise RuntimeError(
        f"`snakemake --rulegraph` failed with exit {result.returncode}:\n{result.stderr}"
    )
graph = parse_rulegraph(result.stdout).without(*snakemake.params.hidden_rules)
log.info(f"{len(graph.rules)} rules, {len(graph.edges)} edges")
save_figure(
    draw_rule_graph(graph, stages=dict(snakemake.params.stages)),
    figure_stem(snakemake.output),
    caption=snakemake.params.caption,
    script=snakemake.params.script,
    rule=snakemake.rule,
    inputs=snakemake.input,
)
