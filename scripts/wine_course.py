"""C1/C2: the course's wine experiment; metrics, coefficients, feature scales, report values."""

from pathlib import Path

from regularization_report.data import read_raw
from regularization_report.io import write_csv, write_json
from regularization_report.linear import (
    wine_course,
    wine_course_values,
    wine_feature_scales,
    wine_scale_values,
)
from regularization_report.logs import setup_logging
from regularization_report.threads import limit_threads

log = setup_logging(snakemake.log[0])
limit_threads(snakemake.threads)
p = snakemake.params
X, y = read_raw(Path(snakemake.input.data).parent)
metrics, coefficients = wine_course(
    X,
    y,
    alpha=p.alpha,
    short_max_iter=p.short_max_iter,
    test_size=p.test_size,
    random_state=p.random_state,
    feature_scalings=p.feature_scalings,
)
scales = wine_feature_scales(
    X,
    y,
    coefficients,
    test_size=p.test_size,
    random_state=p.random_state,
    short_max_iter=p.short_max_iter,
)
write_csv(metrics, snakemake.output.metrics)
write_csv(coefficients, snakemake.output.coefficients)
write_csv(scales, snakemake.output.feature_scales)
values = wine_course_values(metrics, coefficients, short_max_iter=p.short_max_iter)
values["scales"] = wine_scale_values(scales)
write_json(values, snakemake.output.values)
log.info("\n" + metrics.to_string(index=False) + "\n" + scales.to_string(index=False))
