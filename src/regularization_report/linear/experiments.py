"""The linear part's jobs: every experiment's files from its inputs and parameters.

Each experiment of the linear part (B, C1-C9 and the norms of D) fits in
milliseconds to a second, while a Python process that imports scikit-learn,
pandas and matplotlib takes one to two seconds to start. So the workflow runs
them as three jobs, each a loop over the experiments below: ``linear_models``
(scikit-learn), ``linear_torch`` (PyTorch) and ``linear_figures`` (matplotlib),
and the linear part costs a few process starts instead of two dozen.

An experiment is a function ``(inputs, params, outputs) -> None``: ``inputs``
and ``outputs`` map names to paths, ``params`` is the experiment's config
section. The rules in ``workflow/rules/linear.smk`` declare the same names.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from regularization_report.files import write_csv, write_json

Paths = Mapping[str, str]
Experiment = Callable[[Paths, Mapping[str, Any], Paths], None]

log = logging.getLogger(__name__)


def _raw(inputs: Paths) -> tuple[pd.DataFrame, pd.Series]:
    from regularization_report.data.bundled import read_raw

    return read_raw(Path(inputs["data"]).parent)


# --- scikit-learn experiments ------------------------------------------------------------
def wine_course(inputs: Paths, p: Mapping[str, Any], out: Paths) -> None:
    """C1/C2: the course's wine regression; metrics, coefficients, feature scales."""
    from regularization_report.linear.wine import wine_course as fit
    from regularization_report.linear.wine import (
        wine_course_values,
        wine_feature_scales,
        wine_scale_values,
    )

    X, y = _raw(inputs)
    metrics, coefficients = fit(
        X,
        y,
        alpha=p["alpha"],
        short_max_iter=p["short_max_iter"],
        test_size=p["test_size"],
        random_state=p["random_state"],
        feature_scalings=p["feature_scalings"],
    )
    scales = wine_feature_scales(
        X,
        y,
        coefficients,
        test_size=p["test_size"],
        random_state=p["random_state"],
        short_max_iter=p["short_max_iter"],
    )
    write_csv(metrics, out["metrics"])
    write_csv(coefficients, out["coefficients"])
    write_csv(scales, out["feature_scales"])
    values = wine_course_values(metrics, coefficients, short_max_iter=p["short_max_iter"])
    values["scales"] = wine_scale_values(scales)
    write_json(values, out["values"])


def iris_normalization(inputs: Paths, p: Mapping[str, Any], out: Paths) -> None:
    """B: OLS, Lasso and Ridge on iris virginica, raw and rescaled; the concept table."""
    from regularization_report.linear.normalization import CONCEPTS, iris_normalization_values
    from regularization_report.linear.normalization import iris_normalization as fit

    X, y = _raw(inputs)
    frame = X.assign(target=y)
    points, fits = fit(
        frame,
        species=p["species"],
        feature=p["feature"],
        target=p["target"],
        alpha=p["alpha"],
        feature_scalings=p["feature_scalings"],
    )
    n_rows = int((frame["target"] == p["species"]).sum())
    write_csv(points, out["points"])
    write_csv(fits, out["fits"])
    write_csv(pd.DataFrame(CONCEPTS), out["concepts"])
    write_json(iris_normalization_values(fits, n_rows=n_rows, alpha=p["alpha"]), out["values"])


def penalty_paths(inputs: Paths, p: Mapping[str, Any], out: Paths) -> None:
    """C3/C4: Lasso, ElasticNet and Ridge paths on one alpha grid, and nonzero counts."""
    from regularization_report.linear.regularization_paths import penalty_paths_experiment

    X, y = _raw(inputs)
    paths, sparsity, values = penalty_paths_experiment(
        X,
        y.to_numpy(dtype=float),
        n_alphas=p["n_alphas"],
        alpha_min_ratio=p["alpha_min_ratio"],
        alpha_max_ratio=p["alpha_max_ratio"],
        l1_ratio=p["l1_ratio"],
    )
    write_csv(paths, out["paths"])
    write_csv(sparsity, out["sparsity"])
    write_json({"dataset": p["dataset"], **values}, out["values"])


def diabetes_lasso(inputs: Paths, p: Mapping[str, Any], out: Paths) -> None:
    """C3: the exact Lasso path, entry order, K-fold CV, repeated train/test splits."""
    from regularization_report.data.bundled import load_split
    from regularization_report.linear.regularization_paths import (
        diabetes_lasso_experiment,
        split_error_summary,
    )

    X, y = _raw(inputs)
    result = diabetes_lasso_experiment(
        X,
        y.to_numpy(dtype=float),
        load_split(inputs["split"]),
        n_alphas=p["n_alphas"],
        alpha_min_ratio=p["alpha_min_ratio"],
        cv_folds=p["cv_folds"],
        n_repeats=p["n_repeats"],
        test_size=p["test_size"],
        seed=p["seed"],
    )
    for name in ("lasso_path", "entry_order", "cv_error", "split_errors"):
        write_csv(result[name], out[name])
    write_csv(split_error_summary(result["split_errors"]), out["split_error_summary"])
    write_json({**result["values"], "choice": result["choice"]}, out["values"])


def constraint_geometry(inputs: Paths, p: Mapping[str, Any], out: Paths) -> None:
    """C5: loss contours, L1/L2 constrained optima at several budgets, Lp unit balls."""
    from regularization_report.linear.geometry import (
        constrained_optima,
        geometry_values,
        least_squares,
        loss_grid,
        lp_unit_ball,
        two_feature_problem,
    )

    X_all, y_all = _raw(inputs)
    X, y = two_feature_problem(X_all.assign(target=y_all), list(p["features"]))
    optima = constrained_optima(X, y, list(p["budget_fractions"]))
    write_csv(loss_grid(X, y, grid_size=p["grid_size"]), out["loss_grid"])
    write_csv(optima, out["optima"])
    balls = [lp_unit_ball(q, p["n_ball_points"]) for q in p["lp_ball_ps"]]
    write_csv(pd.concat(balls, ignore_index=True), out["lp_unit_balls"])
    write_json(
        geometry_values(optima, list(p["features"]), least_squares(X, y), list(p["lp_ball_ps"])),
        out["values"],
    )


def correlated_features(inputs: Paths, p: Mapping[str, Any], out: Paths) -> None:
    """C6: Lasso, ElasticNet and Ridge on constructed data with correlated features."""
    from regularization_report.linear.correlated import correlated_design, correlated_values
    from regularization_report.linear.correlated import correlated_features as fit
    from regularization_report.linear.regularization_paths import path_grid, standardize

    design = {
        key: p[key]
        for key in (
            "n_samples",
            "group_size",
            "n_noise_features",
            "within_group_noise",
            "signal_coef",
            "noise",
        )
    }
    X, y = correlated_design(**design, seed=p["seed"])
    alphas = path_grid(
        standardize(X.to_numpy()),
        y,
        n_alphas=p["n_alphas"],
        min_ratio=p["alpha_min_ratio"],
        max_ratio=p["alpha_max_ratio"],
    )
    paths, coefficients = fit(
        X,
        y,
        alphas=alphas,
        alpha=p["alpha"],
        l1_ratio=p["l1_ratio"],
        n_resamples=p["n_resamples"],
        seed=p["seed"],
    )
    table = coefficients.pivot(index="feature", columns="model", values=["coef", "selected_share"])
    table.columns = [f"{model}_{stat}" for stat, model in table.columns]
    table = (table.reindex(pd.Index(X.columns, name="feature")) + 0.0).reset_index()
    write_csv(paths, out["paths"])
    write_csv(coefficients, out["coefficients"])
    write_csv(table, out["table"])
    values = correlated_values(
        X,
        coefficients,
        alpha=p["alpha"],
        l1_ratio=p["l1_ratio"],
        n_resamples=p["n_resamples"],
        **design,
    )
    write_json(values, out["values"])


def logistic_l1_l2(inputs: Paths, p: Mapping[str, Any], out: Paths) -> None:
    """C7: L1 against L2 logistic regression over a grid of C, one split per dataset."""
    from regularization_report.data.bundled import load_split
    from regularization_report.linear.logistic import logistic_sparsity, logistic_values

    c_values = np.geomspace(p["c_min"], p["c_max"], p["n_c"])
    metrics, coefficients = [], []
    for dataset in p["datasets"]:
        m, c = logistic_sparsity(
            load_split(inputs[f"split_{dataset}"]),
            dataset=dataset,
            c_values=c_values,
            max_iter=p["max_iter"],
        )
        metrics.append(m)
        coefficients.append(c)
    metrics = pd.concat(metrics, ignore_index=True)
    write_csv(metrics, out["metrics"])
    write_csv(pd.concat(coefficients, ignore_index=True), out["coefficients"])
    write_json(logistic_values(metrics, image_c=p["image_c"]), out["values"])


def alpha_explorer(inputs: Paths, p: Mapping[str, Any], out: Paths) -> None:
    """C9: Lasso and Ridge coefficients and errors at every slider position (diabetes split)."""
    from regularization_report.data.bundled import load_split
    from regularization_report.linear.explorer import (
        alpha_explorer_data,
        explorer_alphas,
        explorer_values,
    )

    split = load_split(inputs["split"])
    alphas = explorer_alphas(split, n_alphas=p["n_alphas"], min_ratio=p["alpha_min_ratio"])
    coefficients, errors = alpha_explorer_data(split, alphas=alphas)
    write_csv(coefficients, out["coefficients"])
    write_csv(errors, out["errors"])
    write_json(explorer_values(errors), out["values"])


# --- PyTorch experiments -----------------------------------------------------------------
def torch_linear(inputs: Paths, p: Mapping[str, Any], out: Paths) -> None:
    """C8: subgradient and proximal Lasso and Ridge in PyTorch, against scikit-learn."""
    from regularization_report.linear.regularization_paths import standardize
    from regularization_report.linear.torch_linear import compare_with_sklearn

    X, y = _raw(inputs)
    table, history, values = compare_with_sklearn(
        standardize(X.to_numpy()),
        y.to_numpy(dtype=float),
        list(X.columns),
        alpha=p["alpha"],
        n_steps=p["n_steps"],
        ridge_momentum=p["ridge_momentum"],
    )
    write_csv(table, out["coefficients"], float_format="%.12g")
    write_csv(history, out["history"])
    write_json(values, out["values"])


def lp_norms(inputs: Paths, p: Mapping[str, Any], out: Paths) -> None:
    """D: the course's vector and matrix norms by hand, numpy and torch."""
    from regularization_report.linear.norms import (
        matrix_norm_table,
        norms_values,
        vector_norm_table,
    )

    vectors = vector_norm_table(p["vector"], p["ps"])
    matrices = matrix_norm_table(p["matrix"])
    write_csv(vectors, out["vector_norms"], float_format="%.12g")
    write_csv(matrices, out["matrix_norms"], float_format="%.12g")
    write_json(
        norms_values(vectors, matrices, p["vector"], p["course_p"], p["matrix"]), out["values"]
    )


# --- figures ----------------------------------------------------------------------------
# Each draws one figure from the tables above; nothing here fits a model.
def _csv(inputs: Paths, name: str) -> pd.DataFrame:
    return pd.read_csv(inputs[name])


def _draw(fig_id: str, inputs: Paths, p: Mapping[str, Any]):
    from regularization_report.figures import linear as lf
    from regularization_report.files import read_json

    if fig_id == "fig-wine-coefficients":
        return lf.wine_coefficients(_csv(inputs, "coefficients"))
    if fig_id == "fig-iris-scaling":
        return lf.iris_scaling(
            _csv(inputs, "points"), _csv(inputs, "fits"), feature=p["feature"], target=p["target"]
        )
    if fig_id == "fig-regularization-paths":
        return lf.regularization_paths(
            _csv(inputs, "lasso_path"), _csv(inputs, "entry_order"), _csv(inputs, "paths")
        )
    if fig_id == "fig-alpha-selection":
        return lf.alpha_selection(
            _csv(inputs, "cv_error"),
            _csv(inputs, "split_error_summary"),
            read_json(inputs["values"])["choice"],
        )
    if fig_id == "fig-sparsity-vs-alpha":
        return lf.sparsity_vs_alpha({d: _csv(inputs, f"sparsity_{d}") for d in p["datasets"]})
    if fig_id == "fig-constraint-geometry":
        return lf.constraint_geometry(
            _csv(inputs, "loss_grid"), _csv(inputs, "optima"), list(p["features"])
        )
    if fig_id == "fig-lp-unit-balls":
        return lf.lp_unit_balls(_csv(inputs, "lp_unit_balls"))
    if fig_id == "fig-correlated-features":
        return lf.correlated_features(
            _csv(inputs, "paths"), _csv(inputs, "coefficients"), alpha=p["alpha"]
        )
    if fig_id == "fig-logistic-sparsity":
        return lf.logistic_sparsity(_csv(inputs, "metrics"))
    if fig_id == "fig-digits-coefficients":
        return lf.digits_coefficients(_csv(inputs, "coefficients"), C=p["image_c"])
    if fig_id == "fig-torch-vs-sklearn":
        return lf.torch_vs_sklearn(_csv(inputs, "coefficients"), _csv(inputs, "history"))
    if fig_id == "fig-alpha-explorer":
        return lf.alpha_explorer_static(
            _csv(inputs, "coefficients"), _csv(inputs, "errors"), n_panels=p["n_panels"]
        )
    raise ValueError(f"no linear figure {fig_id!r}")


def figure(inputs: Paths, p: Mapping[str, Any], out: Paths) -> None:
    """One figure: PNG, SVG, PDF and the JSON sidecar (see plotting.save_figure).

    ``p`` holds the drawing's own parameters plus ``id``, ``caption``, ``script``
    and ``rule``. The alpha explorer also writes its interactive HTML (``out["html"]``).
    """
    from regularization_report.figures.style import figure_stem, save_figure

    if "html" in out:
        from regularization_report.files import atomic_open
        from regularization_report.linear.explorer import alpha_explorer_figure, explorer_html

        with atomic_open(out["html"], "w", encoding="utf-8") as handle:
            figure_ = alpha_explorer_figure(_csv(inputs, "coefficients"), _csv(inputs, "errors"))
            handle.write(explorer_html(figure_))
    stem = figure_stem([path for name, path in out.items() if name != "html"])
    if stem.name != p["id"]:
        raise ValueError(f"outputs {stem} do not belong to figure {p['id']}")
    save_figure(
        _draw(p["id"], inputs, p),
        stem,
        caption=p["caption"],
        script=p["script"],
        rule=p["rule"],
        inputs=inputs.values(),
    )


EXPERIMENTS: dict[str, Experiment] = {
    "wine_course": wine_course,
    "iris_normalization": iris_normalization,
    "penalty_paths": penalty_paths,
    "diabetes_lasso": diabetes_lasso,
    "constraint_geometry": constraint_geometry,
    "correlated_features": correlated_features,
    "logistic_l1_l2": logistic_l1_l2,
    "alpha_explorer": alpha_explorer,
    "torch_linear": torch_linear,
    "lp_norms": lp_norms,
    "figure": figure,
}


# --- the loop a job runs -----------------------------------------------------------------
def split_names(named: Mapping[str, str], separator: str = "__") -> dict[str, dict[str, str]]:
    """``{"wine_course__metrics": path}`` -> ``{"wine_course": {"metrics": path}}``.

    A rule's named inputs and outputs carry the job (experiment or figure) they
    belong to as a prefix, so one flat Snakemake list holds many jobs' files.
    """
    nested: dict[str, dict[str, str]] = {}
    for key, path in named.items():
        job, sep, name = key.partition(separator)
        if not sep or not name:
            raise ValueError(f"{key!r} is not '<job>{separator}<name>'")
        nested.setdefault(job, {})[name] = str(path)
    return nested


def run_all(
    runs: Mapping[str, Mapping[str, Any]],
    inputs: Mapping[str, str],
    outputs: Mapping[str, str],
    *,
    registry: Mapping[str, Callable[..., Any]] = EXPERIMENTS,
) -> dict[str, float]:
    """Run each job of ``runs`` (``{run: {"kind": ..., "params": ...}}``) in order.

    ``kind`` names the function in ``registry``; a run's inputs and outputs are
    the entries of ``inputs``/``outputs`` prefixed ``<run>__``. Returns the
    seconds each took (also logged, so the job's log shows where time goes).
    """
    ins, outs = split_names(inputs), split_names(outputs)
    unknown = sorted((set(ins) | set(outs)) - set(runs))
    if unknown:
        raise ValueError(f"files of runs that are not configured: {unknown}")
    seconds = {}
    for name, run in runs.items():
        if run["kind"] not in registry:
            raise ValueError(f"{name}: unknown kind {run['kind']!r}; known: {sorted(registry)}")
        start = time.perf_counter()
        registry[run["kind"]](ins.get(name, {}), run["params"], outs.get(name, {}))
        seconds[name] = time.perf_counter() - start
        log.info(f"{name}: {seconds[name]:.2f} s")
    return seconds
