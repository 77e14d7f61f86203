# Report assets and rendering. Included last: it reads the registries
# (FIGURES, VALUE_FILES, TABLE_FILES) that the experiment rule files fill.

REPORT_SOURCES = sorted(
    str(p)
    for pattern in ("*.qmd", "*.yml", "*.bib", "*.csl", "*.typ", "*.css")
    for p in Path("report").glob(pattern)
)


rule merge_report_values:
    input:
        VALUE_FILES,
    output:
        "results/report_values.json",
    log:
        "logs/report/merge_report_values.log",
    conda:
        CONDA_ENV
    resources:
        mem_mb=256,
        runtime=2,
    script:
        "../../scripts/merge_report_values.py"


rule figure_index:
    input:
        [f"report/figures/{fig_id}.json" for fig_id in FIGURES],
    output:
        "report/figures/index.csv",
    log:
        "logs/report/figure_index.log",
    conda:
        CONDA_ENV
    resources:
        mem_mb=256,
        runtime=2,
    script:
        "../../scripts/figure_index.py"


rule render_report:
    """Render HTML and PDF (Typst) from the report sources and pipeline outputs."""
    input:
        sources=REPORT_SOURCES,
        values="results/report_values.json",
        figure_index="report/figures/index.csv",
        figures=[f for fig_id in FIGURES for f in figure_files(fig_id)],
        tables=TABLE_FILES,
    output:
        html="report/_output/index.html",
        pdf="report/_output/index.pdf",
    log:
        "logs/report/render_report.log",
    benchmark:
        "benchmarks/report/render_report.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=2048,
        runtime=20,
    shell:
        "quarto render report > {log} 2>&1"


onstart:
    if not RENDER_REPORT:
        logger.warning(QUARTO_SKIPPED_MESSAGE)


onsuccess:
    if not RENDER_REPORT:
        logger.warning(QUARTO_SKIPPED_MESSAGE)
