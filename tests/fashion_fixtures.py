"""Tiny Fashion-MNIST stand-ins and a way to serve them to the real download rule.

The real files cannot be fetched here (no network) and are pinned by their
SHA-256, so workflow tests serve small IDX files from a local HTTP server
(``test_download.Server``) and re-pin the registry to them in every process
of the run through a ``sitecustomize`` module on ``PYTHONPATH``. The rule,
the script and the download code are the production ones; only the pins
(data) change, the way ``test_download.py`` builds its own ``DatasetSpec``.
"""

from __future__ import annotations

import hashlib
import os
import textwrap
from pathlib import Path

import numpy as np

from regularization_report.data.download import write_idx

FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)


def fixture_arrays(n_train: int = 200, n_test: int = 60, seed: int = 0) -> dict[str, np.ndarray]:
    """Images whose class is learnable: a class-specific bright band plus noise."""
    rng = np.random.default_rng(seed)

    def split(n: int) -> tuple[np.ndarray, np.ndarray]:
        labels = np.arange(n, dtype=np.uint8) % 10
        rng.shuffle(labels)
        images = rng.integers(0, 60, (n, 28, 28)).astype(np.int64)
        for i, label in enumerate(labels):
            images[i, 2 * label : 2 * label + 4, :] += 180
        return images.clip(0, 255).astype(np.uint8), labels

    x_train, y_train = split(n_train)
    x_test, y_test = split(n_test)
    return dict(zip(FILES, (x_train, y_train, x_test, y_test), strict=True))


def write_fixture_files(folder: Path, arrays: dict[str, np.ndarray]) -> dict[str, bytes]:
    """Write the four gzipped IDX files into ``folder``; return their bytes by name."""
    folder.mkdir(parents=True, exist_ok=True)
    blobs = {}
    for name, array in arrays.items():
        write_idx(array, folder / name)
        blobs[name] = (folder / name).read_bytes()
    return blobs


def pin_to(blobs: dict[str, bytes], site_dir: Path) -> dict[str, str]:
    """Write ``site_dir/sitecustomize.py`` re-pinning fashion_mnist to ``blobs``; return env.

    The returned environment puts ``site_dir`` on ``PYTHONPATH`` so the snakemake
    process and every job it starts load the re-pinned registry.
    """
    pins = {name: hashlib.sha256(blob).hexdigest() for name, blob in blobs.items()}
    site_dir.mkdir(parents=True, exist_ok=True)
    (site_dir / "sitecustomize.py").write_text(
        textwrap.dedent(
            f"""\
            # Written by tests/fashion_fixtures.py: Fashion-MNIST pinned to test fixtures.
            import dataclasses

            from regularization_report.data import download

            _PINS = {pins!r}
            _spec = download.DATASETS["fashion_mnist"]
            download.DATASETS["fashion_mnist"] = dataclasses.replace(
                _spec,
                files=tuple(
                    download.FileSpec(f.name, ("sha256", _PINS[f.name])) for f in _spec.files
                ),
            )
            """
        )
    )
    rest = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return {"PYTHONPATH": os.pathsep.join([str(site_dir), *rest])}
