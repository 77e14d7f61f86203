"""Run one seed of one variant of the course's demos as the course's Keras code.

Rule interface (see nn.keras_reference.run_keras_reference):
    input:   manifest of the verified Fashion-MNIST files
    output:  history, run (results/fashion_mnist/keras/<demo>/<variant>/seed<k>/)
    params:  epochs (capped), settings (the demo's config, recorded), measure_train, device
    threads: torch threads of the job
"""

from pathlib import Path

from regularization_report.data.fashion_mnist import course_split, load_fashion_mnist
from regularization_report.logs import setup_logging
from regularization_report.nn.keras_reference import run_keras_reference

setup_logging(snakemake.log[0])
demo = snakemake.wildcards.demo
data = load_fashion_mnist(Path(snakemake.input.manifest).parent)
run_keras_reference(
    course_split(data, demo),
    demo,
    snakemake.wildcards.variant,
    seed=int(snakemake.wildcards.seed),
    epochs=snakemake.params.epochs,
    out_dir=Path(snakemake.output.run).parent,
    threads=snakemake.threads,
    device=snakemake.params.device,
    measure_train=snakemake.params.measure_train,
    settings=snakemake.params.settings,
)
