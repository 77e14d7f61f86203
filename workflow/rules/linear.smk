# Penalized linear models (experiments B and C of DESIGN.md).


rule wine_course:
    """C1/C2: the course's wine regression with LinearRegression, Lasso and Ridge."""
    input:
        data="data/raw/wine/data.csv",
        manifest="data/raw/wine/manifest.json",
    output:
        metrics="results/linear/wine_course/metrics.csv",
        coefficients="results/linear/wine_course/coefficients.csv",
        values="results/values/wine_course.json",
    log:
        "logs/linear/wine_course.log",
    benchmark:
        "benchmarks/linear/wine_course.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=512,
        runtime=5,
    params:
        **config["linear"]["wine_course"],
    script:
        "../../scripts/wine_course.py"


rule plot_wine_coefficients:
    input:
        coefficients="results/linear/wine_course/coefficients.csv",
    output:
        figure_outputs("fig-wine-coefficients"),
    log:
        "logs/figures/fig-wine-coefficients.log",
    conda:
        CONDA_ENV
    resources:
        mem_mb=512,
        runtime=5,
    params:
        caption=(
            "Coefficients of LinearRegression, Lasso and Ridge "
            f"(alpha = {config['linear']['wine_course']['alpha']}, as in the course) "
            "on the raw wine features; open circles are exact zeros."
        ),
        script=script_path("plot_wine_coefficients.py"),
    script:
        "../../scripts/plot_wine_coefficients.py"


register_figures("fig-wine-coefficients")
VALUE_FILES.append("results/values/wine_course.json")
RESULT_FILES.extend(
    [
        "results/linear/wine_course/metrics.csv",
        "results/linear/wine_course/coefficients.csv",
    ]
)
