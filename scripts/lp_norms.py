"""D: vector and matrix norms of the course's examples, by hand, numpy and torch."""

from regularization_report.io import write_csv, write_json
from regularization_report.logs import setup_logging
from regularization_report.norms import matrix_norm_table, norms_values, vector_norm_table
from regularization_report.threads import limit_threads

log = setup_logging(snakemake.log[0])
limit_threads(snakemake.threads)
p = snakemake.params
vectors = vector_norm_table(p.vector, p.ps)
matrices = matrix_norm_table(p.matrix)
write_csv(vectors, snakemake.output.vector_norms, float_format="%.12g")
write_csv(matrices, snakemake.output.matrix_norms, float_format="%.12g")
write_json(norms_values(vectors, matrices, p.vector, p.course_p, p.matrix), snakemake.output.values)
log.info("\n" + vectors.to_string(index=False) + "\n" + matrices.to_string(index=False))
