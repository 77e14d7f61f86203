"""C7: L1 against L2 logistic regression on breast_cancer and digits, over a C grid."""

import numpy as np
import pandas as pd

from regularization_report.data import load_split
from regularization_report.io import write_csv, write_json
from regularization_report.logistic import logistic_sparsity, logistic_values
from regularization_report.logs import setup_logging
from regularization_report.threads import limit_threads

log = setup_logging(snakemake.log[0])
limit_threads(snakemake.threads)
p = snakemake.params
c_values = np.geomspace(p.c_min, p.c_max, p.n_c)
metrics, coefficients = [], []
for dataset, path in zip(p.datasets, snakemake.input.splits, strict=True):
    m, c = logistic_sparsity(
        load_split(path), dataset=dataset, c_values=c_values, max_iter=p.max_iter
    )
    metrics.append(m)
    coefficients.append(c)
metrics = pd.concat(metrics, ignore_index=True)
write_csv(metrics, snakemake.output.metrics)
write_csv(pd.concat(coefficients, ignore_index=True), snakemake.output.coefficients)
write_json(logistic_values(metrics, image_c=p.image_c), snakemake.output.values)
log.info("\n" + metrics.to_string(index=False))
