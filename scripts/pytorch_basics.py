"""Experiment A: the PyTorch basics measured (see regularization_report.nn.basics)."""

import pandas as pd

from regularization_report.data.bundled import load_split
from regularization_report.files import write_csv, write_json
from regularization_report.logs import setup_logging
from regularization_report.nn import basics
from regularization_report.nn.training import TensorData, configure_threads

log = setup_logging(snakemake.log[0])
configure_threads(snakemake.threads)
p = snakemake.params
out = snakemake.output

fits = basics.loss_fits(p.seeds, p.outlier_fractions)
write_csv(fits, out.loss_fits)
write_csv(basics.loss_fit_points(p.seeds[0], p.example_outlier_fraction), out.loss_fit_points)

digits = TensorData.from_split(load_split(snakemake.input.digits))
optimizers = basics.optimizer_curves(digits, p.seeds, epochs=p.optimizer_epochs)
write_csv(optimizers, out.optimizers)

activations = basics.activation_table()
write_csv(activations, out.activations)

iris_split = load_split(snakemake.input.iris_split)
backprop = basics.backprop_check(iris_split)
write_csv(backprop, out.backprop)

mistakes, lines, points = basics.perceptron_runs(pd.read_csv(snakemake.input.iris_table))
write_csv(mistakes, out.perceptron_mistakes)
write_csv(lines, out.perceptron_lines)
write_csv(points, out.perceptron_points)
xor, surface = basics.xor_mlp(p.seeds, p.xor_widths)
write_csv(xor, out.xor_runs)
write_csv(surface, out.xor_surface)

loader = basics.dataloader_check(snakemake.input.loader_table)
roundtrip = basics.save_load_roundtrip(TensorData.from_split(iris_split), out.checkpoint)
values = basics.summary_values(
    fits, optimizers, activations, backprop, mistakes, xor, loader, roundtrip
)
write_json(values, out.values)
log.info(f"basics: {values['save_load']}, backprop diff {values['backprop_max_abs_diff']:.2e}")
