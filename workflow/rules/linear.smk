# Penalized linear models: experiments B, C1-C9 and the vector and matrix norms
# of D (DESIGN.md). One compute rule per experiment writes tidy CSVs under
# results/linear/<experiment>/ and the numbers the prose quotes under
# results/values/; one plot rule per figure reads them (plotting never refits).
# Every rule has a benchmark: their sum is the linear part's run time.

LINEAR = config["linear"]


# --- C1/C2: the course's wine regression ----------------------------------------------


rule wine_course:
    """C1/C2: the course's wine regression with LinearRegression, Lasso and Ridge."""
    input:
        data="data/raw/wine/data.csv",
        manifest="data/raw/wine/manifest.json",
    output:
        metrics="results/linear/wine_course/metrics.csv",
        coefficients="results/linear/wine_course/coefficients.csv",
        feature_scales="results/tables/wine_feature_scales.csv",
        values="results/values/wine_course.json",
    log:
        "logs/linear/wine_course.log",
    benchmark:
        "benchmarks/linear/wine_course.tsv"
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=512,
        runtime=5,
    params:
        **LINEAR["wine_course"],
    script:
        "../../scripts/wine_course.py"


rule plot_wine_coefficients:
    input:
        coefficients="results/linear/wine_course/coefficients.csv",
    output:
        figure_outputs("fig-wine-coefficients"),
    log:
        "logs/figures/fig-wine-coefficients.log",
    benchmark:
        "benchmarks/linear/plot_wine_coefficients.tsv"
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=512,
        runtime=5,
    params:
        caption=(
            "Coefficients of LinearRegression, Lasso and Ridge "
            f"(alpha = {LINEAR['wine_course']['alpha']}, as in the course) on the raw "
            "(top) and the standardized (bottom) wine features; open circles are exact zeros."
        ),
        script=script_path("plot_wine_coefficients.py"),
    script:
        "../../scripts/plot_wine_coefficients.py"


# --- B: normalization vs regularization -----------------------------------------------


rule iris_normalization:
    """B: OLS, Lasso and Ridge on iris virginica, raw and rescaled."""
    input:
        data="data/raw/iris/data.csv",
        manifest="data/raw/iris/manifest.json",
    output:
        points="results/linear/iris_normalization/points.csv",
        fits="results/tables/iris_fits.csv",
        concepts="results/tables/normalization_vs_regularization.csv",
        values="results/values/iris_normalization.json",
    log:
        "logs/linear/iris_normalization.log",
    benchmark:
        "benchmarks/linear/iris_normalization.tsv"
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=512,
        runtime=5,
    params:
        **LINEAR["iris_normalization"],
    script:
        "../../scripts/iris_normalization.py"


rule plot_iris_scaling:
    input:
        points="results/linear/iris_normalization/points.csv",
        fits="results/tables/iris_fits.csv",
    output:
        figure_outputs("fig-iris-scaling"),
    log:
        "logs/figures/fig-iris-scaling.log",
    benchmark:
        "benchmarks/linear/plot_iris_scaling.tsv"
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=512,
        runtime=5,
    params:
        feature=LINEAR["iris_normalization"]["feature"],
        target=LINEAR["iris_normalization"]["target"],
        caption=(
            f"Iris virginica, {LINEAR['iris_normalization']['target']} against "
            f"{LINEAR['iris_normalization']['feature']}: the same flowers with the raw, "
            "min-max scaled and z-scored feature, and the lines of LinearRegression, "
            f"Lasso and Ridge (alpha = {LINEAR['iris_normalization']['alpha']}) fitted to each."
        ),
        script=script_path("plot_iris_scaling.py"),
    script:
        "../../scripts/plot_iris_scaling.py"


# --- C3/C4: paths, choosing alpha, sparsity -------------------------------------------


rule penalty_paths:
    """C3/C4: Lasso, ElasticNet and Ridge paths on one alpha grid, and nonzero counts."""
    input:
        data="data/raw/{dataset}/data.csv",
        manifest="data/raw/{dataset}/manifest.json",
    output:
        paths="results/linear/{dataset}/penalty_paths.csv",
        sparsity="results/linear/{dataset}/sparsity.csv",
        values="results/values/penalty_paths_{dataset}.json",
    log:
        "logs/linear/penalty_paths_{dataset}.log",
    benchmark:
        "benchmarks/linear/penalty_paths_{dataset}.tsv"
    wildcard_constraints:
        dataset="wine|diabetes",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=512,
        runtime=5,
    params:
        n_alphas=LINEAR["penalty_paths"]["n_alphas"],
        alpha_min_ratio=LINEAR["penalty_paths"]["alpha_min_ratio"],
        alpha_max_ratio=LINEAR["penalty_paths"]["alpha_max_ratio"],
        l1_ratio=LINEAR["penalty_paths"]["l1_ratio"],
    script:
        "../../scripts/penalty_paths.py"


rule diabetes_lasso:
    """C3: exact Lasso path and entry order, K-fold CV, repeated train/test splits."""
    input:
        data="data/raw/diabetes/data.csv",
        manifest="data/raw/diabetes/manifest.json",
        split="data/processed/diabetes.npz",
    output:
        lasso_path="results/linear/diabetes/lasso_path.csv",
        entry_order="results/linear/diabetes/entry_order.csv",
        cv_error="results/linear/diabetes/cv_error.csv",
        split_errors="results/linear/diabetes/split_errors.csv",
        split_error_summary="results/linear/diabetes/split_error_summary.csv",
        values="results/values/diabetes_lasso.json",
    log:
        "logs/linear/diabetes_lasso.log",
    benchmark:
        "benchmarks/linear/diabetes_lasso.tsv"
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=512,
        runtime=5,
    params:
        **LINEAR["diabetes_lasso"],
    script:
        "../../scripts/diabetes_lasso.py"


rule plot_regularization_paths:
    input:
        lasso_path="results/linear/diabetes/lasso_path.csv",
        entry_order="results/linear/diabetes/entry_order.csv",
        paths="results/linear/diabetes/penalty_paths.csv",
    output:
        figure_outputs("fig-regularization-paths"),
    log:
        "logs/figures/fig-regularization-paths.log",
    benchmark:
        "benchmarks/linear/plot_regularization_paths.tsv"
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=512,
        runtime=5,
    params:
        caption=(
            "Regularization paths on diabetes (standardized features): the exact "
            "Lasso path with its breakpoints and the step at which each feature "
            f"enters, then ElasticNet (l1_ratio = {LINEAR['penalty_paths']['l1_ratio']}) "
            "and Ridge on the same alpha axis (Ridge fitted at n times alpha)."
        ),
        script=script_path("plot_regularization_paths.py"),
    script:
        "../../scripts/plot_regularization_paths.py"


rule plot_alpha_selection:
    input:
        cv_error="results/linear/diabetes/cv_error.csv",
        split_error_summary="results/linear/diabetes/split_error_summary.csv",
        values="results/values/diabetes_lasso.json",
    output:
        figure_outputs("fig-alpha-selection"),
    log:
        "logs/figures/fig-alpha-selection.log",
    benchmark:
        "benchmarks/linear/plot_alpha_selection.tsv"
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=512,
        runtime=5,
    params:
        caption=(
            "Choosing the Lasso's alpha on diabetes. Left: "
            f"{LINEAR['diabetes_lasso']['cv_folds']}-fold cross-validated error with one "
            "standard error, its minimum (dashed) and the one-standard-error choice "
            f"(dotted). Right: train and test error over {LINEAR['diabetes_lasso']['n_repeats']} "
            "random splits, mean and 10th to 90th percentile."
        ),
        script=script_path("plot_alpha_selection.py"),
    script:
        "../../scripts/plot_alpha_selection.py"


rule plot_sparsity_vs_alpha:
    input:
        sparsity=expand(
            "results/linear/{dataset}/sparsity.csv",
            dataset=LINEAR["penalty_paths"]["datasets"],
        ),
    output:
        figure_outputs("fig-sparsity-vs-alpha"),
    log:
        "logs/figures/fig-sparsity-vs-alpha.log",
    benchmark:
        "benchmarks/linear/plot_sparsity_vs_alpha.tsv"
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=512,
        runtime=5,
    params:
        datasets=LINEAR["penalty_paths"]["datasets"],
        caption=(
            "Number of nonzero coefficients against alpha for Lasso, ElasticNet "
            f"(l1_ratio = {LINEAR['penalty_paths']['l1_ratio']}) and Ridge on "
            f"{' and '.join(LINEAR['penalty_paths']['datasets'])} (standardized features)."
        ),
        script=script_path("plot_sparsity_vs_alpha.py"),
    script:
        "../../scripts/plot_sparsity_vs_alpha.py"


# --- C5: geometry ---------------------------------------------------------------------


rule constraint_geometry:
    """C5: L1 and L2 constrained least squares on two diabetes features; Lp unit balls."""
    input:
        data="data/raw/diabetes/data.csv",
        manifest="data/raw/diabetes/manifest.json",
    output:
        loss_grid="results/linear/constraint_geometry/loss_grid.csv",
        optima="results/linear/constraint_geometry/optima.csv",
        lp_unit_balls="results/linear/constraint_geometry/lp_unit_balls.csv",
        values="results/values/constraint_geometry.json",
    log:
        "logs/linear/constraint_geometry.log",
    benchmark:
        "benchmarks/linear/constraint_geometry.tsv"
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=512,
        runtime=5,
    params:
        **LINEAR["constraint_geometry"],
    script:
        "../../scripts/constraint_geometry.py"


rule plot_constraint_geometry:
    input:
        loss_grid="results/linear/constraint_geometry/loss_grid.csv",
        optima="results/linear/constraint_geometry/optima.csv",
    output:
        figure_outputs("fig-constraint-geometry"),
    log:
        "logs/figures/fig-constraint-geometry.log",
    benchmark:
        "benchmarks/linear/plot_constraint_geometry.tsv"
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=512,
        runtime=5,
    params:
        features=LINEAR["constraint_geometry"]["features"],
        caption=(
            "Loss contours of least squares on two standardized diabetes features "
            f"({' and '.join(LINEAR['constraint_geometry']['features'])}), with L1 diamonds "
            "(left) and L2 discs (right) whose budgets are the labelled fractions of the "
            "least-squares solution's norm; dots are the constrained optima, the star "
            "the unconstrained one."
        ),
        script=script_path("plot_constraint_geometry.py"),
    script:
        "../../scripts/plot_constraint_geometry.py"


rule plot_lp_unit_balls:
    input:
        lp_unit_balls="results/linear/constraint_geometry/lp_unit_balls.csv",
    output:
        figure_outputs("fig-lp-unit-balls"),
    log:
        "logs/figures/fig-lp-unit-balls.log",
    benchmark:
        "benchmarks/linear/plot_lp_unit_balls.tsv"
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=512,
        runtime=5,
    params:
        caption=(
            "Unit balls of the Lp norms in two dimensions, the points with "
            "||w||_p = 1, for p = "
            + ", ".join(
                "∞" if p == float("inf") else f"{p:g}"
                for p in LINEAR["constraint_geometry"]["lp_ball_ps"]
            )
            + "; p below 1 gives a non-convex star."
        ),
        script=script_path("plot_lp_unit_balls.py"),
    script:
        "../../scripts/plot_lp_unit_balls.py"


# --- C6: correlated features ----------------------------------------------------------


rule correlated_features:
    """C6: Lasso, ElasticNet and Ridge on constructed data with correlated features."""
    output:
        paths="results/linear/correlated_features/paths.csv",
        coefficients="results/linear/correlated_features/coefficients.csv",
        table="results/tables/correlated_features.csv",
        values="results/values/correlated_features.json",
    log:
        "logs/linear/correlated_features.log",
    benchmark:
        "benchmarks/linear/correlated_features.tsv"
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=512,
        runtime=5,
    params:
        **LINEAR["correlated_features"],
    script:
        "../../scripts/correlated_features.py"


rule plot_correlated_features:
    input:
        paths="results/linear/correlated_features/paths.csv",
        coefficients="results/linear/correlated_features/coefficients.csv",
    output:
        figure_outputs("fig-correlated-features"),
    log:
        "logs/figures/fig-correlated-features.log",
    benchmark:
        "benchmarks/linear/plot_correlated_features.tsv"
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=512,
        runtime=5,
    params:
        alpha=LINEAR["correlated_features"]["alpha"],
        caption=(
            "Paths of Lasso, ElasticNet "
            f"(l1_ratio = {LINEAR['correlated_features']['l1_ratio']}) and Ridge on "
            f"constructed data: {LINEAR['correlated_features']['group_size']} noisy copies "
            "of one hidden signal (solid, coloured) and "
            f"{LINEAR['correlated_features']['n_noise_features']} unrelated features "
            f"(dashed, grey); the dotted line marks alpha = {LINEAR['correlated_features']['alpha']}."
        ),
        script=script_path("plot_correlated_features.py"),
    script:
        "../../scripts/plot_correlated_features.py"


# --- C7: logistic regression ----------------------------------------------------------


rule logistic_l1_l2:
    """C7: L1 against L2 logistic regression over a grid of C."""
    input:
        splits=expand(
            "data/processed/{dataset}.npz",
            dataset=LINEAR["logistic_l1_l2"]["datasets"],
        ),
    output:
        metrics="results/linear/logistic_l1_l2/metrics.csv",
        coefficients="results/linear/logistic_l1_l2/coefficients.csv",
        values="results/values/logistic_l1_l2.json",
    log:
        "logs/linear/logistic_l1_l2.log",
    benchmark:
        "benchmarks/linear/logistic_l1_l2.tsv"
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1024,
        runtime=10,
    params:
        **LINEAR["logistic_l1_l2"],
    script:
        "../../scripts/logistic_l1_l2.py"


rule plot_logistic_sparsity:
    input:
        metrics="results/linear/logistic_l1_l2/metrics.csv",
    output:
        figure_outputs("fig-logistic-sparsity"),
    log:
        "logs/figures/fig-logistic-sparsity.log",
    benchmark:
        "benchmarks/linear/plot_logistic_sparsity.tsv"
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=512,
        runtime=5,
    params:
        caption=(
            "L1 against L2 logistic regression on "
            f"{' and '.join(LINEAR['logistic_l1_l2']['datasets'])}: the share of nonzero "
            "weights (left) and train and test accuracy (right) against C, the inverse "
            "penalty strength."
        ),
        script=script_path("plot_logistic_sparsity.py"),
    script:
        "../../scripts/plot_logistic_sparsity.py"


rule plot_digits_coefficients:
    input:
        coefficients="results/linear/logistic_l1_l2/coefficients.csv",
    output:
        figure_outputs("fig-digits-coefficients"),
    log:
        "logs/figures/fig-digits-coefficients.log",
    benchmark:
        "benchmarks/linear/plot_digits_coefficients.tsv"
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=512,
        runtime=5,
    params:
        image_c=LINEAR["logistic_l1_l2"]["image_c"],
        caption=(
            "The 8 x 8 weight image of each digit's one-vs-rest logistic model with an "
            "L1 penalty (top) and an L2 penalty (bottom), at the C of the grid nearest "
            f"to {LINEAR['logistic_l1_l2']['image_c']}; red pixels vote for the digit, "
            "blue against, white are zero."
        ),
        script=script_path("plot_digits_coefficients.py"),
    script:
        "../../scripts/plot_digits_coefficients.py"


# --- C8: PyTorch ----------------------------------------------------------------------


rule torch_linear:
    """C8: subgradient and proximal Lasso and Ridge in PyTorch, against scikit-learn."""
    input:
        data="data/raw/diabetes/data.csv",
        manifest="data/raw/diabetes/manifest.json",
    output:
        coefficients="results/tables/torch_vs_sklearn.csv",
        history="results/linear/torch_linear/history.csv",
        values="results/values/torch_linear.json",
    log:
        "logs/linear/torch_linear.log",
    benchmark:
        "benchmarks/linear/torch_linear.tsv"
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1024,
        runtime=5,
    params:
        **LINEAR["torch_linear"],
    script:
        "../../scripts/torch_linear.py"


rule plot_torch_vs_sklearn:
    input:
        coefficients="results/tables/torch_vs_sklearn.csv",
        history="results/linear/torch_linear/history.csv",
    output:
        figure_outputs("fig-torch-vs-sklearn"),
    log:
        "logs/figures/fig-torch-vs-sklearn.log",
    benchmark:
        "benchmarks/linear/plot_torch_vs_sklearn.tsv"
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=512,
        runtime=5,
    params:
        caption=(
            "Lasso and Ridge trained in PyTorch on standardized diabetes at "
            f"alpha = {LINEAR['torch_linear']['alpha']}, against scikit-learn. Left: "
            "coefficient by coefficient. Right: the objective's distance to scikit-learn's "
            f"optimum over {LINEAR['torch_linear']['n_steps']} full-batch steps."
        ),
        script=script_path("plot_torch_vs_sklearn.py"),
    script:
        "../../scripts/plot_torch_vs_sklearn.py"


# --- C9: the alpha explorer -----------------------------------------------------------


rule alpha_explorer:
    """C9: Lasso and Ridge on the diabetes split at every slider position."""
    input:
        split="data/processed/diabetes.npz",
    output:
        coefficients="results/linear/alpha_explorer/coefficients.csv",
        errors="results/linear/alpha_explorer/errors.csv",
        values="results/values/alpha_explorer.json",
    log:
        "logs/linear/alpha_explorer.log",
    benchmark:
        "benchmarks/linear/alpha_explorer.tsv"
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=512,
        runtime=5,
    params:
        n_alphas=LINEAR["alpha_explorer"]["n_alphas"],
        alpha_min_ratio=LINEAR["alpha_explorer"]["alpha_min_ratio"],
    script:
        "../../scripts/alpha_explorer.py"


rule plot_alpha_explorer:
    """The interactive explorer (HTML, plotly.js inlined) and its static twin."""
    input:
        coefficients="results/linear/alpha_explorer/coefficients.csv",
        errors="results/linear/alpha_explorer/errors.csv",
    output:
        figure_outputs("fig-alpha-explorer"),
        html="report/figures/fig-alpha-explorer.html",
    log:
        "logs/figures/fig-alpha-explorer.log",
    benchmark:
        "benchmarks/linear/plot_alpha_explorer.tsv"
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=512,
        runtime=5,
    params:
        n_panels=LINEAR["alpha_explorer"]["n_panels"],
        caption=(
            "Lasso and Ridge coefficients and their test error at "
            f"{LINEAR['alpha_explorer']['n_panels']} values of alpha on the diabetes split "
            "(Ridge fitted at n times alpha): the static twin of the interactive alpha "
            "explorer of the HTML version."
        ),
        script=script_path("plot_alpha_explorer.py"),
    script:
        "../../scripts/plot_alpha_explorer.py"


# --- D: vector and matrix norms -------------------------------------------------------


rule lp_norms:
    """D: the course's vector and matrix norms by hand, numpy and torch."""
    output:
        vector_norms="results/tables/vector_norms.csv",
        matrix_norms="results/tables/matrix_norms.csv",
        values="results/values/lp_norms.json",
    log:
        "logs/linear/lp_norms.log",
    benchmark:
        "benchmarks/linear/lp_norms.tsv"
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=512,
        runtime=5,
    params:
        **LINEAR["lp_norms"],
    script:
        "../../scripts/lp_norms.py"


register_figures(
    "fig-wine-coefficients",
    "fig-iris-scaling",
    "fig-regularization-paths",
    "fig-alpha-selection",
    "fig-sparsity-vs-alpha",
    "fig-constraint-geometry",
    "fig-lp-unit-balls",
    "fig-correlated-features",
    "fig-logistic-sparsity",
    "fig-digits-coefficients",
    "fig-torch-vs-sklearn",
    "fig-alpha-explorer",
)
VALUE_FILES.extend(
    [
        "results/values/wine_course.json",
        "results/values/iris_normalization.json",
        *expand(
            "results/values/penalty_paths_{dataset}.json",
            dataset=LINEAR["penalty_paths"]["datasets"],
        ),
        "results/values/diabetes_lasso.json",
        "results/values/constraint_geometry.json",
        "results/values/correlated_features.json",
        "results/values/logistic_l1_l2.json",
        "results/values/torch_linear.json",
        "results/values/alpha_explorer.json",
        "results/values/lp_norms.json",
    ]
)
TABLE_FILES.extend(
    [
        "results/tables/wine_feature_scales.csv",
        "results/tables/iris_fits.csv",
        "results/tables/normalization_vs_regularization.csv",
        "results/linear/diabetes/entry_order.csv",
        "results/tables/correlated_features.csv",
        "results/tables/torch_vs_sklearn.csv",
        "results/tables/vector_norms.csv",
        "results/tables/matrix_norms.csv",
        "report/figures/fig-alpha-explorer.html",
    ]
)
RESULT_FILES.extend(
    [
        "results/linear/wine_course/metrics.csv",
        "results/linear/wine_course/coefficients.csv",
        "results/linear/diabetes/lasso_path.csv",
        "results/linear/diabetes/entry_order.csv",
    ]
)
