"""Cap the thread pools of a job at the threads Snakemake gave it.

numpy/scipy (OpenBLAS) and scikit-learn (OpenMP) start one thread per core
by default. When Snakemake runs several jobs side by side, those pools
oversubscribe the cores and their spin-waiting threads burn CPU: on a busy
2-core machine a scikit-learn job that needs 4 s of CPU took over a minute.
Every compute script therefore calls :func:`limit_threads` first.
"""

from __future__ import annotations

import sys


def limit_threads(n: int) -> None:
    """Limit BLAS and OpenMP pools (and torch, if loaded) of this process to ``n`` threads."""
    from threadpoolctl import threadpool_limits

    n = max(int(n), 1)
    threadpool_limits(limits=n)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(n)
