# Neural networks in PyTorch (experiments A, D second part, E1-E5 of DESIGN.md).
# One training job per (dataset, experiment, variant) runs every seed in-process
# and writes one folder per seed; aggregation and figures are separate jobs, so
# restyling a figure never retrains.

import sys

if SRC_DIR not in sys.path:
    sys.path.insert(0, SRC_DIR)

from regularization_report.nn import spec as nn_spec

NN = config["nn"]
NN_RUNS = nn_spec.runs(NN)  # (dataset, experiment, variant)
NN_COMPARISON_ROWS = nn_spec.comparison_rows(NN)  # checked now, before any job runs
NN_DATASETS = sorted({dataset for dataset, _, _ in NN_RUNS})
NN_EXPERIMENTS = nn_spec.experiment_names(NN)


NN_SEED_DIR = "results/nn/{dataset}/{experiment}/{variant}/seed{seed}"
NN_WILDCARDS = {
    "dataset": "|".join(NN_DATASETS),
    "experiment": "|".join(NN_EXPERIMENTS),
    "variant": "[A-Za-z0-9_.-]+",
}


rule train_nn:
    """All seeds of one variant: history.csv, steps.csv, run.json, model.pt per seed."""
    input:
        data="data/processed/{dataset}.npz",
    output:
        **{
            name.replace(".", "_"): expand(
                f"{NN_SEED_DIR}/{name}",
                seed=NN["seeds"],
                allow_missing=True,
            )
            for name in nn_spec.RUN_FILES
        },
    log:
        "logs/nn/{dataset}/{experiment}/{variant}.log",
    benchmark:
        "benchmarks/nn/{dataset}/{experiment}/{variant}.tsv"
    wildcard_constraints:
        **NN_WILDCARDS,
    conda:
        CONDA_ENV
    threads: NN["threads"]
    resources:
        # Fashion-MNIST (full profile) holds 70,000 images in memory and trains longer.
        mem_mb=lambda wildcards: 4096 if wildcards.dataset == "fashion_mnist" else 1024,
        runtime=lambda wildcards: 240 if wildcards.dataset == "fashion_mnist" else 30,
        gpu=1 if config["device"] == "cuda" else 0,
    params:
        spec=lambda wildcards: nn_spec.run_spec(
            NN, wildcards.experiment, wildcards.variant
        ),
        device=config["device"],
        deterministic=config["deterministic"],
    script:
        "../../scripts/train_nn.py"


rule summarize_nn:
    """Every run in one table (results/nn/summary.csv), plus curves and analyses."""
    input:
        runs=nn_spec.run_files(NN, "run.json"),
        histories=nn_spec.run_files(NN, "history.csv"),
        steps=nn_spec.run_files(NN, "steps.csv"),
    output:
        summary="results/nn/summary.csv",
        curves="results/nn/curves.csv",
        steps="results/nn/steps.csv",
        analyses="results/nn/analyses.csv",
        test_rows="results/nn/test_rows.csv",
    log:
        "logs/nn/summarize_nn.log",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1024,
        runtime=5,
    script:
        "../../scripts/summarize_nn.py"


rule penalty_weights:
    """E4: weights of the penalty variants, compared pairwise and binned."""
    input:
        checkpoints=nn_spec.run_files(NN, "model.pt", "penalties"),
    output:
        equivalence="results/nn/penalties/equivalence.csv",
        histogram="results/nn/penalties/weight_histogram.csv",
    log:
        "logs/nn/penalty_weights.log",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1024,
        runtime=5,
    params:
        pairs=[
            ["sgd_l2", "sgd_weight_decay"],
            ["adam_l2", "adam_weight_decay"],
            ["adam_l2", "adamw"],
            ["sgd", "sgd_l2"],
            ["adam", "adamw"],
        ],
        histogram_variants=["sgd", "sgd_l2", "sgd_l1"],
    script:
        "../../scripts/penalty_weights.py"


rule nn_report_values:
    """The E5 table and every neural-network number the report quotes."""
    input:
        summary="results/nn/summary.csv",
        analyses="results/nn/analyses.csv",
        steps="results/nn/steps.csv",
        equivalence="results/nn/penalties/equivalence.csv",
        test_rows="results/nn/test_rows.csv",
    output:
        comparison="results/tables/nn_comparison.csv",
        values="results/values/nn.json",
    log:
        "logs/nn/nn_report_values.log",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=512,
        runtime=5,
    params:
        comparison_rows=NN_COMPARISON_ROWS,
        comparison_datasets=NN["comparison_table"]["datasets"],
        seeds=NN["seeds"],
    script:
        "../../scripts/nn_report_values.py"


# Each figure: id -> (inputs, caption). One script draws them all, dispatching on the id.
NN_FIGURES = {
    "fig-dropout-curves": (
        ["results/nn/curves.csv"],
        "Cross-entropy of the overfitting MLP for each dropout rate: training loss "
        "(top, eval mode after each epoch, log axis) and validation loss (bottom, linear "
        "axis, 95% bands over seeds).",
    ),
    "fig-dropout-gap": (
        ["results/nn/summary.csv"],
        "Dropout rate against, left to right: the final generalization gap (validation "
        "minus training loss; eval-mode training loss as dots, the train-mode batch "
        "average as open circles), the epoch of lowest validation loss (the early-stopping "
        "point) and that lowest validation loss. Mean and 95% interval over seeds.",
    ),
    "fig-dropout-mc": (
        ["results/nn/analyses.csv"],
        "Monte Carlo dropout: validation loss of the softmax averaged over T random masks "
        "(lines) against the single eval-mode pass with weight scaling (dashed), for each "
        "dropout rate. Mean over seeds.",
    ),
    "fig-dropout-sparsity": (
        ["results/nn/analyses.csv"],
        "Fraction of hidden ReLU outputs that are exactly zero on the validation set "
        "(eval mode), per hidden layer and dropout rate; mean and 95% interval over seeds.",
    ),
    "fig-batchnorm-accuracy": (
        ["results/nn/steps.csv"],
        "Validation accuracy against training steps of the 3 x 100 sigmoid network trained "
        "by plain SGD, with and without batch normalization; bands are 95% intervals over "
        "seeds.",
    ),
    "fig-batchnorm-percentiles": (
        ["results/nn/steps.csv"],
        "The input of one sigmoid in the last hidden layer over training: its 15th, 50th "
        "and 85th percentiles over the validation set, without and with batch "
        "normalization (one seed; the BN paper's Figure 1 on our data).",
    ),
    "fig-batchnorm-lr-sweep": (
        ["results/nn/summary.csv"],
        "Final validation accuracy of the sigmoid network against the SGD learning rate, "
        "with and without batch normalization; mean and 95% interval over seeds; the dotted "
        "line is the accuracy threshold. A run whose loss became infinite would be drawn "
        "as a cross at zero.",
    ),
    "fig-batchnorm-batch-size": (
        ["results/nn/analyses.csv"],
        "Validation accuracy of the trained batch-norm network when each batch is "
        "normalized with its own statistics (train mode) against the batch size, and with "
        "the running statistics (eval mode, dashed); mean over seeds.",
    ),
    "fig-norms-training": (
        ["results/nn/steps.csv"],
        "Gradient norm of each weight matrix, step by step, for a deep ReLU network "
        "trained by SGD with momentum at a high learning rate: plain, with batch "
        "normalization, and with gradient clipping. One seed per panel (a diverged one "
        "where any diverged, named in the title); a cross marks divergence.",
    ),
    "fig-penalties-equivalence": (
        ["results/nn/curves.csv", "results/nn/penalties/equivalence.csv"],
        "Left: weight norm over training for each penalty variant (mean over seeds). "
        "Right: relative difference between the final weights of two variants trained "
        "from the same seed (log scale): L2 in the loss equals weight decay for SGD and "
        "Adam up to rounding, AdamW's decoupled decay does not.",
    ),
    "fig-penalties-l1-histogram": (
        ["results/nn/penalties/weight_histogram.csv"],
        "Distribution of the absolute first-layer weights after training with SGD alone, "
        "with an L2 penalty and with an L1 penalty in the loss (all seeds pooled).",
    ),
    "fig-comparison": (
        ["results/tables/nn_comparison.csv"],
        "Every regularizer on the same network against no regularization, on the test "
        "split: paired difference in accuracy (left) and in generalization gap (test minus "
        "training loss, right); 95% bootstrap intervals over seeds and test rows.",
    ),
    "fig-penalty-strength": (
        ["results/nn/summary.csv", "results/nn/test_rows.csv"],
        "L1 and L2 penalties in the loss of the comparison MLP at several strengths: "
        "paired difference against no regularization in test accuracy (left) and test "
        "gap (right); 95% bootstrap intervals over seeds and test rows.",
    ),
}


for fig_id, (fig_inputs, fig_caption) in NN_FIGURES.items():

    rule:
        name:
            f"plot_{fig_id.removeprefix('fig-').replace('-', '_')}"
        input:
            fig_inputs,
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
            script=script_path("plot_nn_figure.py"),
        script:
            "../../scripts/plot_nn_figure.py"
