# Report assets and rendering. The lists of figures, values and tables come from
# functions of the config (common.smk), so the include order does not matter.

REPORT_SOURCES = sorted(
    str(p)
    for pattern in ("*.qmd", "*.yml", "*.bib", "*.csl", "*.typ", "*.css")
    for p in Path("report").glob(pattern)
)


# Snakemake's own report (`snakemake --report report.zip`): this page opens it;
# figures with a caption file in workflow/report/<category>/ are its results.
report: "../report/workflow.rst"


WORKFLOW_SOURCES = [
    "Snakefile",
    *sorted(str(p) for p in Path("workflow/rules").glob("*.smk")),
]


rule rule_graph:
    """Figure fig-rule-graph: the rules of this workflow, from `snakemake --rulegraph`."""
    input:
        WORKFLOW_SOURCES,
    output:
        figure_outputs("fig-rule-graph"),
    log:
        "logs/figures/fig-rule-graph.log",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1024,
        runtime=5,
    params:
        # Only what changes the drawn rules (Fashion-MNIST's rules join with its
        # download), and the Snakefile relative to the project: moving the project or
        # changing any other setting redraws nothing.
        config={"data": {"download": config["data"]["download"]}},
        snakefile=lambda wildcards, input: input[0],  # WORKFLOW_SOURCES starts with it
        # The rendered report is a target too, so the graph shows render_report
        # whether or not Quarto is installed here; `all` only collects, so it is hidden.
        targets=["all", "report/_output/index.html"],
        hidden_rules=["all"],
        stages=lambda wildcards: rule_stages(),
        caption=(
            "The workflow's rules, drawn from `snakemake --rulegraph`: data flows from "
            "left to right, each box is a rule, colours mark the stage; a line implied "
            "by a longer path is left out."
        ),
        script=script_path("plot_rule_graph.py"),
    script:
        "../../scripts/plot_rule_graph.py"


rule readme_rule_graph:
    """The README's copy of the rule graph; refresh it with
    `snakemake --cores 1 docs/rule-graph.svg --forcerun rule_graph` (default profile).
    """
    input:
        "report/figures/fig-rule-graph.svg",
    output:
        "docs/rule-graph.svg",
    log:
        "logs/report/readme_rule_graph.log",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=256,
        runtime=2,
    script:
        "../../scripts/copy_file.py"


rule environment_table:
    """The software versions this run used (report appendix), read at run time."""
    input:
        pyproject="pyproject.toml",
        # Rebuilt whenever a result changes, so it describes the run behind the report.
        results=lambda wildcards: value_files(config),
    output:
        "results/tables/environment.csv",
    log:
        "logs/report/environment_table.log",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=512,
        runtime=2,
    params:
        extras=["report"],
    script:
        "../../scripts/environment_table.py"


rule data_sources_table:
    """Every data file with its source, licence and SHA-256 (report appendix)."""
    input:
        manifests=[
            f"data/raw/{name}/manifest.json"
            for name in [*config["data"]["bundled"], *config["data"]["download"]]
        ],
    output:
        "results/tables/data_sources.csv",
    log:
        "logs/report/data_sources_table.log",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=256,
        runtime=2,
    script:
        "../../scripts/data_sources_table.py"


rule merge_report_values:
    input:
        lambda wildcards: value_files(config),
    output:
        "results/report_values.json",
    log:
        "logs/report/merge_report_values.log",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=256,
        runtime=2,
    script:
        "../../scripts/merge_report_values.py"


rule figure_index:
    input:
        lambda wildcards: [
            f"report/figures/{fig_id}.json" for fig_id in figure_ids(config)
        ],
    output:
        "report/figures/index.csv",
    log:
        "logs/report/figure_index.log",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=256,
        runtime=2,
    script:
        "../../scripts/figure_index.py"


rule render_report:
    """Render HTML and PDF (Typst) from the report sources and pipeline outputs.

    One `quarto render`: earlier outputs and the Jupyter cache are deleted first,
    any WARNING or ERROR line fails the job with Quarto's message.
    """
    input:
        sources=REPORT_SOURCES,
        values="results/report_values.json",
        figure_index="report/figures/index.csv",
        figures=lambda wildcards: [
            f for fig_id in figure_ids(config) for f in figure_files(fig_id)
        ],
        tables=lambda wildcards: table_files(config),
    output:
        html="report/_output/index.html",
        pdf="report/_output/index.pdf",
    log:
        "logs/report/render_report.log",
    benchmark:
        "benchmarks/report/render_report.tsv"
    conda:
        CONDA_ENV
    threads: 2
    resources:
        mem_mb=2048,
        runtime=20,
    script:
        "../../scripts/render_report.py"


onstart:
    if not RENDER_REPORT:
        logger.warning(QUARTO_SKIPPED_MESSAGE)


onsuccess:
    if not RENDER_REPORT:
        logger.warning(QUARTO_SKIPPED_MESSAGE)
