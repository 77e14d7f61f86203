# Penalized linear models: experiments B, C1-C9 and the vector and matrix norms
# of D (DESIGN.md). Each experiment fits in milliseconds to a second, while a
# Python job that imports scikit-learn and pandas needs one to two seconds to
# start, so the linear part runs as three jobs that loop over the experiments
# below (regularization_report.linear.experiments): linear_models (scikit-learn),
# linear_torch (PyTorch) and linear_figures (matplotlib, every linear figure;
# plotting never refits). Each experiment keeps its own files and parameters;
# changing one reruns its job (seconds) and the figures.

LINEAR = config["linear"]


# --- scikit-learn experiments: name -> run ---------------------------------------------
LINEAR_MODELS = {
    # C1/C2: the course's wine regression with LinearRegression, Lasso and Ridge.
    "wine_course": experiment(
        "wine_course",
        raw_data("wine"),
        {
            "metrics": "results/linear/wine_course/metrics.csv",
            "coefficients": "results/linear/wine_course/coefficients.csv",
            "feature_scales": "results/tables/wine_feature_scales.csv",
            "values": "results/values/wine_course.json",
        },
        LINEAR["wine_course"],
    ),
    # B: OLS, Lasso and Ridge on iris virginica, raw and rescaled.
    "iris_normalization": experiment(
        "iris_normalization",
        raw_data("iris"),
        {
            "points": "results/linear/iris_normalization/points.csv",
            "fits": "results/tables/iris_fits.csv",
            "concepts": "results/tables/normalization_vs_regularization.csv",
            "values": "results/values/iris_normalization.json",
        },
        LINEAR["iris_normalization"],
    ),
    # C3/C4: Lasso, ElasticNet and Ridge paths on one alpha grid, and nonzero counts.
    **{
        f"penalty_paths_{dataset}": experiment(
            "penalty_paths",
            raw_data(dataset),
            {
                "paths": f"results/linear/{dataset}/penalty_paths.csv",
                "sparsity": f"results/linear/{dataset}/sparsity.csv",
                "values": f"results/values/penalty_paths_{dataset}.json",
            },
            {
                **{k: v for k, v in LINEAR["penalty_paths"].items() if k != "datasets"},
                "dataset": dataset,
            },
        )
        for dataset in LINEAR["penalty_paths"]["datasets"]
    },
    # C3: exact Lasso path and entry order, K-fold CV, repeated train/test splits.
    "diabetes_lasso": experiment(
        "diabetes_lasso",
        {**raw_data("diabetes"), "split": processed_split("diabetes")},
        {
            name: f"results/linear/diabetes/{name}.csv"
            for name in (
                "lasso_path",
                "entry_order",
                "cv_error",
                "split_errors",
                "split_error_summary",
            )
        }
        | {"values": "results/values/diabetes_lasso.json"},
        LINEAR["diabetes_lasso"],
    ),
    # C5: L1 and L2 constrained least squares on two diabetes features; Lp unit balls.
    "constraint_geometry": experiment(
        "constraint_geometry",
        raw_data("diabetes"),
        {
            name: f"results/linear/constraint_geometry/{name}.csv"
            for name in ("loss_grid", "optima", "lp_unit_balls")
        }
        | {"values": "results/values/constraint_geometry.json"},
        LINEAR["constraint_geometry"],
    ),
    # C6: Lasso, ElasticNet and Ridge on constructed data with correlated features.
    "correlated_features": experiment(
        "correlated_features",
        {},
        {
            "paths": "results/linear/correlated_features/paths.csv",
            "coefficients": "results/linear/correlated_features/coefficients.csv",
            "table": "results/tables/correlated_features.csv",
            "values": "results/values/correlated_features.json",
        },
        LINEAR["correlated_features"],
    ),
    # C7: L1 against L2 logistic regression over a grid of C.
    "logistic_l1_l2": experiment(
        "logistic_l1_l2",
        {
            f"split_{dataset}": processed_split(dataset)
            for dataset in LINEAR["logistic_l1_l2"]["datasets"]
        },
        {
            "metrics": "results/linear/logistic_l1_l2/metrics.csv",
            "coefficients": "results/linear/logistic_l1_l2/coefficients.csv",
            "values": "results/values/logistic_l1_l2.json",
        },
        LINEAR["logistic_l1_l2"],
    ),
    # C9: Lasso and Ridge on the diabetes split at every slider position.
    "alpha_explorer": experiment(
        "alpha_explorer",
        {"split": processed_split("diabetes")},
        {
            "coefficients": "results/linear/alpha_explorer/coefficients.csv",
            "errors": "results/linear/alpha_explorer/errors.csv",
            "values": "results/values/alpha_explorer.json",
        },
        {k: LINEAR["alpha_explorer"][k] for k in ("n_alphas", "alpha_min_ratio")},
    ),
}

# --- PyTorch experiments ---------------------------------------------------------------
LINEAR_TORCH = {
    # C8: subgradient and proximal Lasso and Ridge in PyTorch, against scikit-learn.
    "torch_linear": experiment(
        "torch_linear",
        raw_data("diabetes"),
        {
            "coefficients": "results/tables/torch_vs_sklearn.csv",
            "history": "results/linear/torch_linear/history.csv",
            "values": "results/values/torch_linear.json",
        },
        LINEAR["torch_linear"],
    ),
    # D: the course's vector and matrix norms by hand, numpy and torch.
    "lp_norms": experiment(
        "lp_norms",
        {},
        {
            "vector_norms": "results/tables/vector_norms.csv",
            "matrix_norms": "results/tables/matrix_norms.csv",
            "values": "results/values/lp_norms.json",
        },
        LINEAR["lp_norms"],
    ),
}
LINEAR_OUTPUTS = {
    name: run["outputs"] for name, run in (LINEAR_MODELS | LINEAR_TORCH).items()
}


# --- figures: name -> run (the figure id is its params' id) ----------------------------
LP_BALL_PS = ", ".join(
    "∞" if p == float("inf") else f"{p:g}"
    for p in LINEAR["constraint_geometry"]["lp_ball_ps"]
)
LINEAR_FIGURES = {
    "wine_coefficients": linear_figure(
        "fig-wine-coefficients",
        {"coefficients": LINEAR_OUTPUTS["wine_course"]["coefficients"]},
        "Coefficients of LinearRegression, Lasso and Ridge "
        f"(alpha = {LINEAR['wine_course']['alpha']}, as in the course) on the raw "
        "(top) and the standardized (bottom) wine features; open circles are exact zeros.",
    ),
    "iris_scaling": linear_figure(
        "fig-iris-scaling",
        {
            "points": LINEAR_OUTPUTS["iris_normalization"]["points"],
            "fits": LINEAR_OUTPUTS["iris_normalization"]["fits"],
        },
        f"Iris virginica, {LINEAR['iris_normalization']['target']} against "
        f"{LINEAR['iris_normalization']['feature']}: the same flowers with the raw, "
        "min-max scaled and z-scored feature, and the lines of LinearRegression, "
        f"Lasso and Ridge (alpha = {LINEAR['iris_normalization']['alpha']}) fitted to each.",
        feature=LINEAR["iris_normalization"]["feature"],
        target=LINEAR["iris_normalization"]["target"],
    ),
    "regularization_paths": linear_figure(
        "fig-regularization-paths",
        {
            "lasso_path": LINEAR_OUTPUTS["diabetes_lasso"]["lasso_path"],
            "entry_order": LINEAR_OUTPUTS["diabetes_lasso"]["entry_order"],
            "paths": LINEAR_OUTPUTS["penalty_paths_diabetes"]["paths"],
        },
        "Regularization paths on diabetes (standardized features): the exact "
        "Lasso path with its breakpoints and the step at which each feature "
        f"enters, then ElasticNet (l1_ratio = {LINEAR['penalty_paths']['l1_ratio']}) "
        "and Ridge on the same alpha axis (Ridge fitted at n times alpha); right: the "
        "Lasso path against its L1-norm fraction, where it is piecewise linear.",
    ),
    "alpha_selection": linear_figure(
        "fig-alpha-selection",
        {
            name: LINEAR_OUTPUTS["diabetes_lasso"][name]
            for name in ("cv_error", "split_error_summary", "values")
        },
        "Choosing the Lasso's alpha on diabetes. Left: "
        f"{LINEAR['diabetes_lasso']['cv_folds']}-fold cross-validated error with one "
        "standard error, its minimum (dashed) and the one-standard-error choice "
        f"(dotted). Right: train and test error over {LINEAR['diabetes_lasso']['n_repeats']} "
        "random splits, mean and 10th to 90th percentile.",
    ),
    "sparsity_vs_alpha": linear_figure(
        "fig-sparsity-vs-alpha",
        {
            f"sparsity_{dataset}": LINEAR_OUTPUTS[f"penalty_paths_{dataset}"][
                "sparsity"
            ]
            for dataset in LINEAR["penalty_paths"]["datasets"]
        },
        "Number of nonzero coefficients against alpha for Lasso, ElasticNet "
        f"(l1_ratio = {LINEAR['penalty_paths']['l1_ratio']}) and Ridge on "
        f"{' and '.join(LINEAR['penalty_paths']['datasets'])} (standardized features).",
        datasets=LINEAR["penalty_paths"]["datasets"],
    ),
    "constraint_geometry": linear_figure(
        "fig-constraint-geometry",
        {
            name: LINEAR_OUTPUTS["constraint_geometry"][name]
            for name in ("loss_grid", "optima")
        },
        "Loss contours of least squares on two standardized diabetes features "
        f"({' and '.join(LINEAR['constraint_geometry']['features'])}), with L1 diamonds "
        "(left) and L2 discs (right) whose budgets are the labelled fractions of the "
        "least-squares solution's norm; dots are the constrained optima, the star "
        "the unconstrained one.",
        features=LINEAR["constraint_geometry"]["features"],
    ),
    "lp_unit_balls": linear_figure(
        "fig-lp-unit-balls",
        {"lp_unit_balls": LINEAR_OUTPUTS["constraint_geometry"]["lp_unit_balls"]},
        "Unit balls of the Lp norms in two dimensions, the points with "
        f"||w||_p = 1, for p = {LP_BALL_PS}; p below 1 gives a non-convex star.",
    ),
    "correlated_features": linear_figure(
        "fig-correlated-features",
        {
            name: LINEAR_OUTPUTS["correlated_features"][name]
            for name in ("paths", "coefficients")
        },
        "Paths of Lasso, ElasticNet "
        f"(l1_ratio = {LINEAR['correlated_features']['l1_ratio']}) and Ridge on "
        f"constructed data: {LINEAR['correlated_features']['group_size']} noisy copies "
        "of one hidden signal (solid, coloured) and "
        f"{LINEAR['correlated_features']['n_noise_features']} unrelated features "
        f"(dashed, grey); the dotted line marks alpha = {LINEAR['correlated_features']['alpha']}.",
        alpha=LINEAR["correlated_features"]["alpha"],
    ),
    "logistic_sparsity": linear_figure(
        "fig-logistic-sparsity",
        {"metrics": LINEAR_OUTPUTS["logistic_l1_l2"]["metrics"]},
        "L1 against L2 logistic regression on "
        f"{' and '.join(LINEAR['logistic_l1_l2']['datasets'])}: the share of nonzero "
        "weights (left) and train and test accuracy (right) against C, the inverse "
        "penalty strength.",
    ),
    "digits_coefficients": linear_figure(
        "fig-digits-coefficients",
        {"coefficients": LINEAR_OUTPUTS["logistic_l1_l2"]["coefficients"]},
        "The 8 x 8 weight image of each digit's one-vs-rest logistic model with an "
        "L1 penalty (top) and an L2 penalty (bottom), at the C of the grid nearest "
        f"to {LINEAR['logistic_l1_l2']['image_c']}; red pixels vote for the digit, "
        "blue against, white are zero.",
        image_c=LINEAR["logistic_l1_l2"]["image_c"],
    ),
    "torch_vs_sklearn": linear_figure(
        "fig-torch-vs-sklearn",
        {
            name: LINEAR_OUTPUTS["torch_linear"][name]
            for name in ("coefficients", "history")
        },
        "Lasso and Ridge trained in PyTorch on standardized diabetes at "
        f"alpha = {LINEAR['torch_linear']['alpha']}, against scikit-learn. Left: "
        "coefficient by coefficient. Right: the objective's distance to scikit-learn's "
        f"optimum over {LINEAR['torch_linear']['n_steps']} full-batch steps.",
    ),
    "alpha_explorer": linear_figure(
        "fig-alpha-explorer",
        {
            name: LINEAR_OUTPUTS["alpha_explorer"][name]
            for name in ("coefficients", "errors")
        },
        "Lasso and Ridge coefficients and their test error at "
        f"{LINEAR['alpha_explorer']['n_panels']} values of alpha on the diabetes split "
        "(Ridge fitted at n times alpha): the static twin of the interactive alpha "
        "explorer of the HTML version.",
        n_panels=LINEAR["alpha_explorer"]["n_panels"],
    ),
}
# The interactive explorer (HTML, plotly.js inlined) comes with its static twin.
LINEAR_FIGURES["alpha_explorer"]["outputs"][
    "html"
] = "report/figures/fig-alpha-explorer.html"


rule linear_models:
    """B, C1-C7 and C9: every scikit-learn experiment of the linear part, one after another."""
    input:
        **named_files(LINEAR_MODELS, "inputs"),
    output:
        **named_files(LINEAR_MODELS, "outputs"),
    log:
        "logs/linear/linear_models.log",
    benchmark:
        "benchmarks/linear/linear_models.tsv"
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1024,
        runtime=10,
    params:
        runs=run_params(LINEAR_MODELS),
    script:
        "../../scripts/linear_experiments.py"


rule linear_torch:
    """C8 and D: Lasso and Ridge trained in PyTorch; the course's vector and matrix norms."""
    input:
        **named_files(LINEAR_TORCH, "inputs"),
    output:
        **named_files(LINEAR_TORCH, "outputs"),
    log:
        "logs/linear/linear_torch.log",
    benchmark:
        "benchmarks/linear/linear_torch.tsv"
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1024,
        runtime=5,
    params:
        runs=run_params(LINEAR_TORCH),
    script:
        "../../scripts/linear_experiments.py"


rule linear_figures:
    """Every figure of the linear part (and the interactive alpha explorer) from the tables."""
    input:
        **named_files(LINEAR_FIGURES, "inputs"),
    output:
        **named_files(LINEAR_FIGURES, "outputs"),
    log:
        "logs/figures/linear_figures.log",
    benchmark:
        "benchmarks/linear/linear_figures.tsv"
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1024,
        runtime=5,
    params:
        runs=run_params(LINEAR_FIGURES),
        # Snakemake's report shows each figure with its caption (workflow/report/figure.rst).
        captions={
            run["params"]["id"]: run["params"]["caption"]
            for run in LINEAR_FIGURES.values()
        },
        script=script_path("linear_experiments.py"),
    script:
        "../../scripts/linear_experiments.py"


_LINEAR_VALUES = [
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
_LINEAR_TABLES = [
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
_LINEAR_RESULTS = [
    "results/linear/wine_course/metrics.csv",
    "results/linear/wine_course/coefficients.csv",
    "results/linear/diabetes/lasso_path.csv",
    "results/linear/diabetes/entry_order.csv",
]
