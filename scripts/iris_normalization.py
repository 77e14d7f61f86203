"""B: normalization vs regularization on iris; scatter points, fits, the concept table."""

from pathlib import Path

import pandas as pd

from regularization_report.data import read_raw
from regularization_report.io import write_csv, write_json
from regularization_report.logs import setup_logging
from regularization_report.normalization import (
    CONCEPTS,
    iris_normalization,
    iris_normalization_values,
)
from regularization_report.threads import limit_threads

log = setup_logging(snakemake.log[0])
limit_threads(snakemake.threads)
p = snakemake.params
X, y = read_raw(Path(snakemake.input.data).parent)
frame = X.assign(target=y)
points, fits = iris_normalization(
    frame,
    species=p.species,
    feature=p.feature,
    target=p.target,
    alpha=p.alpha,
    feature_scalings=p.feature_scalings,
)
n_rows = int((frame["target"] == p.species).sum())
write_csv(points, snakemake.output.points)
write_csv(fits, snakemake.output.fits)
write_csv(pd.DataFrame(CONCEPTS), snakemake.output.concepts)
write_json(iris_normalization_values(fits, n_rows=n_rows, alpha=p.alpha), snakemake.output.values)
log.info("\n" + fits.to_string(index=False))
