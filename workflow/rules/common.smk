# Helpers shared by every stage (config validation, target registries,
# the Quarto check, the software environment. Only helpers live here.

import os
import shutil
from pathlib import Path

import yaml

from snakemake.utils import min_version, validate

min_version("9.0")

import sys

_SRC = str(Path(workflow.basedir) / "src")
if _SRC not in sys.path:
    sys.path.insert(0, _SRC)

from regularization_report import checks
from regularization_report.code_version import code_version

# Before any job: the project's path, each config file (duplicate keys, YAML errors
# with file and line), the schema, then what the schema cannot say (NaN, inf, splits).
try:
    checks.check_paths(
        project=workflow.basedir, working_directory=os.getcwd(), python=sys.executable
    )
    checks.check_config_files(workflow.configfiles)
    checks.check_finite(config)  # NaN passes every schema bound
    validate(config, schema="../schemas/config.schema.yaml")
    checks.check_config_values(config)
except checks.CheckError as error:
    raise WorkflowError(str(error)) from None

# One canonical order for every mapping of the config, so that reordering the keys of a
# config file (values unchanged) changes no param and reruns nothing.
_canonical_config = checks.canonical(config)
config.clear()
config.update(_canonical_config)

# Every job runs in one software environment (conda-forge pins of the same
# versions as pyproject.toml). With `--sdm conda` Snakemake builds it; without,
# jobs use the active environment.
CONDA_ENV = "../../environment.yml"  # relative to the rule files in workflow/rules/

# Scripts import the project package from src/, so a job needs only the
# third-party packages of CONDA_ENV, whether or not `pip install -e .` ran.
SRC_DIR = str(Path(workflow.basedir) / "src")
_pythonpath = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
if SRC_DIR not in _pythonpath:
    # Set (not read) for the job processes this run starts.
    os.environ.update(PYTHONPATH=os.pathsep.join([SRC_DIR, *_pythonpath]))


# Targets: get_final_output(config) (end of this file) lists every file the report
# depends on, intermediates included, from the config alone; each stage's rule file
# has one function of the config, <stage>_outputs(config), that lists its files.
def part(figures=(), values=(), tables=(), results=()):
    """What one stage produces: figure ids, value files, tables the report reads,
    and every other file (intermediates included) it writes."""
    return {
        "figures": list(figures),
        "values": list(values),
        "tables": list(tables),
        "results": [str(path) for path in results],
    }


# Headline figures also go into Snakemake's own report (`snakemake --report
# report.zip`): workflow/report/figures.yaml lists them by category, and each is
# shown with its own caption (its rule's `caption` param) through figure.rst.
with open(Path(workflow.basedir, "workflow", "report", "figures.yaml")) as handle:
    REPORT_FIGURES = {
        fig_id: category
        for category, fig_ids in yaml.safe_load(handle).items()
        for fig_id in fig_ids
    }


def figure_outputs(fig_id):
    """The four files every figure rule writes (see regularization_report.figures.style).

    The PNG of a headline figure (REPORT_FIGURES) is flagged for Snakemake's report.
    """
    stem = f"report/figures/{fig_id}"
    png = f"{stem}.png"
    if fig_id in REPORT_FIGURES:
        # The caption path is relative to the rule files in workflow/rules/.
        png = report(
            png, caption="../report/figure.rst", category=REPORT_FIGURES[fig_id]
        )
    return [png, f"{stem}.svg", f"{stem}.pdf", f"{stem}.json"]


def rule_stages():
    """Stage of every rule, for the colours of the rule graph."""
    stages = {}
    for definition in workflow.rules:
        outputs = [str(path) for path in definition.output]
        if any(path.startswith("report/figures/fig-") for path in outputs):
            stages[definition.name] = "figure"
        elif outputs and all(path.startswith("data/") for path in outputs):
            stages[definition.name] = "data"
        elif Path(definition.snakefile).stem == "report":
            stages[definition.name] = "report"
        else:
            stages[definition.name] = "experiment"
    return stages


def figure_files(fig_id):
    return [f"report/figures/{fig_id}{ext}" for ext in (".png", ".svg", ".pdf")]


def script_path(name):
    """Path of a script, relative to this rule file, for figure provenance."""
    return f"scripts/{name}"


# --- jobs that loop over several experiments (the linear part) ---------------
def raw_data(dataset):
    return {
        "data": f"data/raw/{dataset}/data.csv",
        "manifest": f"data/raw/{dataset}/manifest.json",
    }


def processed_split(dataset):
    return f"data/processed/{dataset}.npz"


def experiment(kind, inputs, outputs, params):
    """One run of a linear_jobs function: its files and its config section."""
    return {"kind": kind, "inputs": inputs, "outputs": outputs, "params": dict(params)}


def linear_figure(fig_id, inputs, caption, **params):
    """One figure of linear_figures: its inputs, drawing parameters and caption."""
    outputs = dict(zip(("png", "svg", "pdf", "json"), figure_outputs(fig_id)))
    params = {"id": fig_id, "caption": caption, **params}
    return experiment("figure", inputs, outputs, params)


def named_files(runs, kind):
    """``{"<run>__<name>": path}``: the inputs or outputs of every run, for one rule."""
    return {
        f"{name}__{key}": path
        for name, run in runs.items()
        for key, path in run[kind].items()
    }


def run_params(runs):
    return {
        name: {"kind": run["kind"], "params": run["params"]}
        for name, run in runs.items()
    }


# --- Quarto ------------------------------------------------------------------
QUARTO = shutil.which("quarto")
QUARTO_INSTALL_HINT = (
    "install the Quarto CLI (https://quarto.org/docs/get-started/, "
    "or `conda install -c conda-forge quarto`, or `pip install quarto-cli`) "
    "and rerun `snakemake --cores 4`"
)
QUARTO_SKIPPED_MESSAGE = (
    "Quarto CLI not found on PATH: rendering report/_output/index.html and index.pdf "
    f"is skipped, every other result is built; to render, {QUARTO_INSTALL_HINT}."
)
if QUARTO is None and config["quarto"]["require"]:
    raise WorkflowError(
        f"quarto.require is true but the Quarto CLI is not on PATH; {QUARTO_INSTALL_HINT}, "
        "or set quarto.require: false to build everything but the rendered report."
    )
RENDER_REPORT = QUARTO is not None


# What each stage writes, from the config and the tables its rule file defines
# (figure ids, experiment files); called only once every rule file is included.
def data_outputs(config):
    bundled, downloaded = config["data"]["bundled"], config["data"]["download"]
    return part(
        results=[
            *expand("data/raw/{dataset}/data.csv", dataset=bundled),
            *expand(
                "data/raw/{dataset}/manifest.json", dataset=[*bundled, *downloaded]
            ),
            *expand("data/processed/{dataset}.npz", dataset=bundled),
        ]
    )


def linear_outputs(config):
    return part(
        figures=[
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
        ],
        values=_LINEAR_VALUES,
        tables=_LINEAR_TABLES,
        results=[
            *_LINEAR_RESULTS,
            *rules.linear_models.output,
            *rules.linear_torch.output,
        ],
    )


def basics_outputs(config):
    return part(
        figures=BASICS_FIGURES,
        values=["results/values/basics.json"],
        results=rules.pytorch_basics.output,
    )


def nn_outputs(config):
    nn = config["nn"]
    return part(
        figures=NN_FIGURES,
        values=["results/values/nn.json"],
        tables=["results/tables/nn_comparison.csv"],
        results=[
            *(
                path
                for name in nn_spec.RUN_FILES
                for path in nn_spec.run_files(nn, name)
            ),
            *rules.summarize_nn.output,
            *rules.penalty_weights.output,
        ],
    )


def fashion_mnist_outputs(config):
    values = ["results/values/fashion_mnist.json"]
    if "fashion_mnist" not in config["data"]["download"]:
        return part(values=values)
    course = config["fashion_mnist"]["course"]
    return part(
        figures=FASHION_FIGURES,
        values=values,
        results=[
            "data/processed/fashion_mnist.npz",
            *(
                path
                for name in fmnist.RUN_FILES
                for path in fmnist.course_files(course, name)
            ),
            *rules.summarize_fashion_mnist_course.output,
            *rules.compare_fashion_course.output,
        ],
    )


def report_outputs(config):
    return part(
        figures=["fig-rule-graph"],
        tables=["results/tables/environment.csv", "results/tables/data_sources.csv"],
    )


def stage_outputs(config):
    return [
        data_outputs(config),
        linear_outputs(config),
        basics_outputs(config),
        nn_outputs(config),
        fashion_mnist_outputs(config),
        report_outputs(config),
    ]


def collect(config, kind):
    return list(
        dict.fromkeys(path for stage in stage_outputs(config) for path in stage[kind])
    )


def figure_ids(config):
    return collect(config, "figures")


def value_files(config):
    return collect(config, "values")


def table_files(config):
    return collect(config, "tables")


def get_final_output(config):
    """Every file the report depends on, intermediates included (each seed's run files,
    the processed data, every table), so that a file a killed job left missing is
    rebuilt, with everything after it, by the next run."""
    targets = [*collect(config, "results"), *table_files(config), *value_files(config)]
    targets += ["results/report_values.json", "report/figures/index.csv"]
    targets += [
        f"report/figures/{fig_id}{ext}"
        for fig_id in figure_ids(config)
        for ext in (".png", ".svg", ".pdf", ".json")
    ]
    if RENDER_REPORT:
        targets += ["report/_output/index.html", "report/_output/index.pdf"]
    return list(dict.fromkeys(targets))


# --- code versions -----------------------------------------------------------------
# Snakemake reruns a script job when its script changes, not when a module of the
# package it imports does. So every script rule gets a param, code_version, that is a
# SHA-256 over its script and the package modules it imports, transitively (a static
# scan, paths relative to the project). Editing nn/training.py reruns training and
# what follows it; editing a figure module reruns that figure. The render rule gets
# the version of the report sources' Python cells the same way.
def add_code_versions():
    root = Path(workflow.basedir)
    for rule_ in workflow.rules:
        if rule_.script is not None:
            sources = [Path(rule_.snakefile).parent / str(rule_.script)]
        elif rule_.name == "render_report":
            sources = [root / path for path in REPORT_SOURCES if path.endswith(".qmd")]
        else:
            continue
        rule_.set_params(code_version=code_version(sources, src=SRC_DIR, root=root))


# Results that exist but cannot be right stop the run before any job, naming the file.
try:
    checks.check_intermediates(".")
except checks.CheckError as error:
    raise WorkflowError(str(error)) from None


def explain_killed_jobs(log_paths):
    """Snakemake reports a job killed by a signal as `message: None`; say which signal."""
    paths = [log_paths] if isinstance(log_paths, (str, Path)) else list(log_paths or [])
    for path in paths:
        try:
            text = Path(path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for sentence in checks.killed_by_signal(text):
            logger.error(sentence)
