# Fashion-MNIST (course and full profiles): the content-verified download, the
# processed split the neural-network experiments train on, a faithful PyTorch
# port of the original course's three Keras demos beside the course's own Keras
# code, and their comparison. Nothing trains unless data.download lists
# fashion_mnist (config/course.yaml and config/full.yaml do); otherwise the
# report shows the archived comparison in archive/course/.

import sys

if SRC_DIR not in sys.path:
    sys.path.insert(0, SRC_DIR)

from regularization_report.nn import fashion_course as fmnist
from regularization_report.nn import keras_reference

FASHION_MNIST = config["fashion_mnist"]
FASHION_MNIST_ON = "fashion_mnist" in config["data"]["download"]
FASHION_COURSE = FASHION_MNIST["course"]
FASHION_COURSE_DIR = "results/fashion_mnist/course/{demo}/{variant}/seed{seed}"
# A GPU for each training job when the config asks for CUDA (SLURM: --gpus=1).
FASHION_GPUS = 1 if config["device"] == "cuda" else 0
# Minutes per training job on one CPU core; a GPU needs a fraction of it.
FASHION_COURSE_RUNTIME = {"course_model": 30, "overfitting": 360, "batchnorm": 30}
KERAS_REFERENCE = FASHION_MNIST["keras_reference"]
KERAS_REFERENCE_DIR = "results/fashion_mnist/keras/{demo}/{variant}/seed{seed}"
# Minutes per Keras job (one seed) on one CPU core at the course's epochs.
KERAS_REFERENCE_RUNTIME = {"course_model": 20, "overfitting": 240, "batchnorm": 20}
# The comparison: live when this profile trains the demos, else the committed archive.
FASHION_COMPARISON_DIR = "results/fashion_mnist/comparison"
# The archive the default report shows: a course-profile run (archive/course/), or
# while none is committed, the capped reference run (archive/course/capped/).
FASHION_ARCHIVE_DIR = next(
    (
        folder
        for folder in ("archive/course", "archive/course/capped")
        if Path(folder, "provenance.json").exists()
    ),
    None,
)
FASHION_COMPARISON_INPUT = {
    name.split(".")[0]: (
        f"{FASHION_COMPARISON_DIR}/{name}"
        if FASHION_MNIST_ON
        else f"{FASHION_ARCHIVE_DIR}/{name}"
    )
    for name in fmnist.COMPARISON_FILES
    if FASHION_MNIST_ON or FASHION_ARCHIVE_DIR is not None
}


rule download_dataset:
    """Fetch Fashion-MNIST (Debian's folder first when present) and verify every file
    by its decompressed content; only the manifest is an output, so files placed by
    hand are never deleted (see scripts/download_dataset.py)."""
    output:
        manifest="data/raw/fashion_mnist/manifest.json",
    log:
        "logs/download/fashion_mnist.log",
    # On a cluster, compute nodes often have no internet: download on the
    # machine that runs Snakemake.
    localrule: True
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=512,
        runtime=30,
    params:
        folder=FASHION_MNIST["download"]["source"]["folder"],
        base_urls=FASHION_MNIST["download"]["source"]["base_urls"],
        retries=FASHION_MNIST["download"]["retries"],
        timeout=FASHION_MNIST["download"]["timeout_s"],
    script:
        "../../scripts/download_dataset.py"


rule process_fashion_mnist:
    """data/processed/fashion_mnist.npz: flattened pixels in [0, 1], seeded split."""
    input:
        manifest="data/raw/fashion_mnist/manifest.json",
    output:
        "data/processed/fashion_mnist.npz",
    log:
        "logs/data/process_fashion_mnist.log",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=2048,
        runtime=10,
    params:
        val_size=FASHION_MNIST["val_size"],
        seed=config["data"]["split"]["seed"],
    script:
        "../../scripts/process_fashion_mnist.py"


rule train_fashion_mnist_course:
    """Every seed of one variant of one of the course's demos."""
    input:
        manifest="data/raw/fashion_mnist/manifest.json",
    output:
        **{
            name.replace(".", "_"): expand(
                f"{FASHION_COURSE_DIR}/{name}",
                seed=FASHION_COURSE["seeds"],
                allow_missing=True,
            )
            for name in fmnist.RUN_FILES
        },
    log:
        "logs/fashion_mnist/course/{demo}/{variant}.log",
    benchmark:
        "benchmarks/fashion_mnist/course/{demo}/{variant}.tsv"
    wildcard_constraints:
        demo="|".join(fmnist.DEMOS),
        variant="[A-Za-z0-9_.]+",
    conda:
        CONDA_ENV
    threads: FASHION_COURSE["threads"]
    resources:
        mem_mb=4096,
        runtime=lambda wildcards: FASHION_COURSE_RUNTIME[wildcards.demo],
        gpu=FASHION_GPUS,
    params:
        spec=lambda wildcards: fmnist.course_spec(
            FASHION_COURSE, wildcards.demo, wildcards.variant
        ),
        device=config["device"],
        deterministic=config["deterministic"],
    script:
        "../../scripts/train_fashion_mnist_course.py"


rule train_keras_reference:
    """One seed of one variant of the course's demos, as the course's own Keras
    code (Keras 3 on the PyTorch backend; needs the `course` extra)."""
    input:
        manifest="data/raw/fashion_mnist/manifest.json",
    output:
        history=f"{KERAS_REFERENCE_DIR}/history.csv",
        run=f"{KERAS_REFERENCE_DIR}/run.json",
    log:
        "logs/fashion_mnist/keras/{demo}/{variant}/seed{seed}.log",
    benchmark:
        "benchmarks/fashion_mnist/keras/{demo}/{variant}/seed{seed}.tsv"
    wildcard_constraints:
        demo="|".join(keras_reference.VARIANTS),
        variant="|".join(sorted(set().union(*keras_reference.VARIANTS.values()))),
        seed=r"\d+",
    conda:
        CONDA_ENV
    threads: KERAS_REFERENCE["threads"]
    resources:
        mem_mb=4096,
        runtime=lambda wildcards: KERAS_REFERENCE_RUNTIME[wildcards.demo],
        gpu=FASHION_GPUS,
    params:
        epochs=lambda wildcards: keras_reference.reference_epochs(
            KERAS_REFERENCE, wildcards.demo
        ),
        settings=lambda wildcards: {
            "course_epochs": KERAS_REFERENCE["demos"][wildcards.demo]["epochs"],
            "max_epochs": KERAS_REFERENCE["max_epochs"],
        },
        measure_train=KERAS_REFERENCE["measure_train"],
        device=config["device"],
    script:
        "../../scripts/keras_reference.py"


rule summarize_fashion_mnist_course:
    """One table of every run, the curves, and the numbers the report quotes."""
    input:
        runs=fmnist.course_files(FASHION_COURSE, "run.json"),
        histories=fmnist.course_files(FASHION_COURSE, "history.csv"),
    output:
        summary="results/fashion_mnist/course/summary.csv",
        curves="results/fashion_mnist/course/curves.csv",
    log:
        "logs/fashion_mnist/summarize_course.log",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1024,
        runtime=5,
    script:
        "../../scripts/summarize_fashion_mnist_course.py"


rule compare_fashion_course:
    """The course's printed numbers beside the Keras reference and the port (mean,
    interval and range over seeds), with the provenance an archive needs."""
    input:
        port=fmnist.course_files(FASHION_COURSE, "history.csv"),
        port_runs=fmnist.course_files(FASHION_COURSE, "run.json"),
        keras=keras_reference.reference_files(KERAS_REFERENCE, "history.csv"),
        keras_runs=keras_reference.reference_files(KERAS_REFERENCE, "run.json"),
    output:
        **{
            name.split(".")[0]: f"{FASHION_COMPARISON_DIR}/{name}"
            for name in fmnist.COMPARISON_FILES
        },
    log:
        "logs/fashion_mnist/compare_fashion_course.log",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1024,
        runtime=5,
    params:
        fashion_mnist=FASHION_MNIST,
    script:
        "../../scripts/compare_fashion_course.py"


rule fashion_mnist_values:
    """The numbers the report quotes: live results when this profile trains the demos,
    else the archived comparison (archive/course/) and the demos' settings."""
    input:
        **FASHION_COMPARISON_INPUT,
        summary=(
            ["results/fashion_mnist/course/summary.csv"] if FASHION_MNIST_ON else []
        ),
    output:
        "results/values/fashion_mnist.json",
    log:
        "logs/fashion_mnist/fashion_mnist_values.log",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=512,
        runtime=5,
    params:
        settings=fmnist.describe_settings(FASHION_COURSE),
        comparison_live=FASHION_MNIST_ON,
    script:
        "../../scripts/fashion_mnist_values.py"


FASHION_FIGURES = {
    "fig-fashion-overfitting": (
        "Training (dashed) and validation (solid) cross-entropy of the course's 256-unit "
        "network on Fashion-MNIST, with and without Dropout(0.5), over the course's "
        "epochs, pixels divided by 255 twice (as the course did) and once; bands are "
        "95% intervals over seeds."
    ),
    "fig-fashion-batchnorm": (
        "Validation accuracy of the course's 128-unit network on Fashion-MNIST with and "
        "without batch normalization after the ReLU; bands are 95% intervals over seeds."
    ),
}


for fig_id, fig_caption in FASHION_FIGURES.items():

    rule:
        name:
            f"plot_{fig_id.removeprefix('fig-').replace('-', '_')}"
        input:
            curves="results/fashion_mnist/course/curves.csv",
        output:
            figure_outputs(fig_id),
        log:
            f"logs/figures/{fig_id}.log",
        conda:
            CONDA_ENV
        threads: 1
        resources:
            mem_mb=1024,
            runtime=5,
        params:
            caption=fig_caption,
            script=script_path("plot_fashion_mnist_course.py"),
        script:
            "../../scripts/plot_fashion_mnist_course.py"
