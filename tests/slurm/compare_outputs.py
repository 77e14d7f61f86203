"""Compare the workflow outputs of two runs, file by file, by SHA-256.

Usage: python tests/slurm/compare_outputs.py LOCAL_DIR SLURM_DIR

Compared: everything the workflow writes as a result (data/, results/,
report/figures/). Not compared: logs/ and benchmarks/ (timings and host
names differ by nature) and Snakemake's own bookkeeping under .snakemake/.
Exit status 0 when both runs hold exactly the same files with the same bytes.

One allowance: a PyTorch checkpoint (``.pt``) whose bytes differ passes when its
content (every tensor and value, loaded with ``weights_only=True``) is equal.
``torch.save`` to a path names the zip archive's root folder after the file, and
atomic writes save to a randomly named temporary file first; saving to a buffer
instead makes the bytes reproducible too.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

COMPARED = ("data", "results", "report/figures")


def digests(root: Path) -> dict[str, str]:
    found = {}
    for folder in COMPARED:
        for path in sorted((root / folder).rglob("*")):
            if path.is_file():
                found[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def same_content(x: object, y: object) -> bool:
    import torch

    if isinstance(x, torch.Tensor) and isinstance(y, torch.Tensor):
        # Bit for bit, so NaN weights (a diverged run's) compare equal to themselves.
        return (
            x.dtype == y.dtype
            and x.shape == y.shape
            and x.contiguous().numpy().tobytes() == y.contiguous().numpy().tobytes()
        )
    if isinstance(x, dict) and isinstance(y, dict):
        return x.keys() == y.keys() and all(same_content(x[k], y[k]) for k in x)
    if isinstance(x, list | tuple) and isinstance(y, list | tuple):
        return len(x) == len(y) and all(same_content(i, j) for i, j in zip(x, y, strict=True))
    return type(x) is type(y) and x == y


def same_checkpoint(a: Path, b: Path) -> bool:
    import torch

    return same_content(torch.load(a, weights_only=True), torch.load(b, weights_only=True))


def main(local: Path, slurm: Path) -> int:
    a, b = digests(local), digests(slurm)
    only_local = sorted(a.keys() - b.keys())
    only_slurm = sorted(b.keys() - a.keys())
    differ = sorted(name for name in a.keys() & b.keys() if a[name] != b[name])
    checkpoints = [n for n in differ if n.endswith(".pt") and same_checkpoint(local / n, slurm / n)]
    differ = [n for n in differ if n not in checkpoints]
    for label, names in (
        ("only in the local run", only_local),
        ("only in the SLURM run", only_slurm),
        ("different bytes", differ),
    ):
        for name in names:
            print(f"  {label}: {name}")
    if not a:
        print(f"no outputs found under {local}")
        return 1
    if only_local or only_slurm or differ:
        return 1
    by_content = f" ({len(checkpoints)} checkpoint(s) by content)" if checkpoints else ""
    print(f"identical: {len(a)} output files under {', '.join(COMPARED)}{by_content}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
