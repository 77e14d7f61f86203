"""Compare the workflow outputs of two runs, file by file, by SHA-256.

Usage: python tests/slurm/compare_outputs.py LOCAL_DIR SLURM_DIR

Compared: everything the workflow writes as a result (data/, results/,
report/figures/). Not compared: logs/ and benchmarks/ (timings and host
names differ by nature) and Snakemake's own bookkeeping under .snakemake/.
Exit status 0 when both runs hold exactly the same files with the same bytes.
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


def main(local: Path, slurm: Path) -> int:
    a, b = digests(local), digests(slurm)
    only_local = sorted(a.keys() - b.keys())
    only_slurm = sorted(b.keys() - a.keys())
    differ = sorted(name for name in a.keys() & b.keys() if a[name] != b[name])
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
    print(f"identical: {len(a)} output files under {', '.join(COMPARED)}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
