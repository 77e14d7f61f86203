# Experiment A: the PyTorch basics of the study note, measured (DESIGN.md §4 A).
# One cheap compute job, then one plotting job per figure.

BASICS = config["basics"]
BASICS_DIR = "results/basics"


rule pytorch_basics:
    """Losses, optimizers, activations, hand backprop, perceptron, DataLoader, save/load."""
    input:
        digits="data/processed/digits.npz",
        iris_split="data/processed/iris.npz",
        iris_table="data/raw/iris/data.csv",
        loader_table="data/raw/breast_cancer/data.csv",
    output:
        loss_fits=f"{BASICS_DIR}/loss_fits.csv",
        loss_fit_points=f"{BASICS_DIR}/loss_fit_points.csv",
        optimizers=f"{BASICS_DIR}/optimizers.csv",
        activations=f"{BASICS_DIR}/activations.csv",
        backprop=f"{BASICS_DIR}/backprop_check.csv",
        perceptron_mistakes=f"{BASICS_DIR}/perceptron_mistakes.csv",
        perceptron_lines=f"{BASICS_DIR}/perceptron_lines.csv",
        perceptron_points=f"{BASICS_DIR}/perceptron_points.csv",
        xor_runs=f"{BASICS_DIR}/xor_mlp.csv",
        xor_surface=f"{BASICS_DIR}/xor_surface.csv",
        checkpoint=f"{BASICS_DIR}/iris_mlp.pt",
        values="results/values/basics.json",
    log:
        "logs/basics/pytorch_basics.log",
    benchmark:
        "benchmarks/basics/pytorch_basics.tsv"
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1024,
        runtime=10,
    params:
        **BASICS,
    script:
        "../../scripts/pytorch_basics.py"


BASICS_FIGURES = {
    "fig-basics-loss-fits": (
        [f"{BASICS_DIR}/loss_fits.csv", f"{BASICS_DIR}/loss_fit_points.csv"],
        "Left: one sample with outliers (open circles) and the lines fitted by MSE, MAE "
        "and Huber loss. Right: error of the fitted slope against the share of outliers, "
        "mean and two-sided 95% Student-t interval over seeds, cut at zero.",
    ),
    "fig-basics-optimizers": (
        [f"{BASICS_DIR}/optimizers.csv"],
        "The same MLP trained on digits by SGD, SGD with momentum and Adam: training loss "
        "(eval mode, log scale) and validation accuracy per epoch; bands are 95% intervals "
        "over seeds.",
    ),
    "fig-basics-activations": (
        [f"{BASICS_DIR}/activations.csv"],
        "Activation functions (left) and their derivatives computed by autograd (right).",
    ),
    "fig-basics-perceptron": (
        [
            f"{BASICS_DIR}/perceptron_mistakes.csv",
            f"{BASICS_DIR}/perceptron_lines.csv",
            f"{BASICS_DIR}/perceptron_points.csv",
            f"{BASICS_DIR}/xor_surface.csv",
        ],
        "The perceptron separates two iris species (left) but keeps making mistakes on "
        "XOR (middle, mistakes per pass); a network with one hidden layer solves XOR "
        "(right, its predicted probability of class 1).",
    ),
}

for fig_id, (fig_inputs, fig_caption) in BASICS_FIGURES.items():

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
            script=script_path("plot_basics_figure.py"),
        script:
            "../../scripts/plot_basics_figure.py"
