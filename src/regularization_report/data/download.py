"""Download layer for datasets that are not bundled with scikit-learn (Fashion-MNIST).

Why this is more than ``urlretrieve``: the report must rebuild identically, so
every file is pinned by its published hash, and a file only ever appears at its
final path after its hash matched (it is streamed into a temporary file beside
it first). A dead server, a truncated body or a server that answers with the
wrong bytes therefore never leaves anything a later run could take as data.
Each file has several sources, each tried with retries and exponential backoff;
when all fail, the error says exactly where to put the file by hand, and the
next run verifies and uses it without touching the network.

Only the standard library talks to the network (``urllib``), so the download
works wherever Python does; ``file://`` base URLs work too (a local mirror).
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import http.client
import logging
import math
import os
import struct
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from tqdm import tqdm

from regularization_report import __version__
from regularization_report.files import atomic_open, atomic_path, sha256_file, write_json

log = logging.getLogger(__name__)

_CHUNK = 1 << 16
_USER_AGENT = f"regularization-report/{__version__} (+urllib)"
# HTTP statuses worth retrying on the same source; every other 4xx is final for that source.
_TRANSIENT_HTTP = {408, 425, 429}


# --------------------------------------------------------------------------- registry


@dataclasses.dataclass(frozen=True)
class FileSpec:
    """One file of a dataset, pinned by ``(algorithm, hex digest)``, e.g. ``("sha256", "...")``.

    The algorithm is part of the pin so a source that only publishes MD5 can still be
    pinned honestly, and verification never guesses which digest a hex string is.
    """

    name: str
    hash: tuple[str, str]
    size: int | None = None  # published size in bytes, for documentation only


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
    """Everything needed to fetch, verify and credit a downloadable dataset.

    Tests build their own spec (``dataclasses.replace(DATASETS["fashion_mnist"], files=...)``)
    instead of patching globals, so the code under test is exactly the production code.
    """

    name: str
    files: tuple[FileSpec, ...]
    base_urls: tuple[str, ...]
    license: str
    citation: str
    homepage: str
    arxiv: str | None = None


FASHION_MNIST_CLASSES: tuple[str, ...] = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

# SHA-256 of the files as served by Zalando (the same values TensorFlow Datasets pins).
# The README also publishes MD5s, kept here for a manual cross-check:
# train-images 8d4fb7e6c68d591d4c3dfef9ec88bf0d, train-labels 25c81989df183df01b3e8a0aad5dffbe,
# t10k-images bef4ecab320f06d8554ea6380940ec79, t10k-labels bb300cfdad3c16e7a12a480ee83cd310.
FASHION_MNIST = DatasetSpec(
    name="fashion_mnist",
    files=(
        FileSpec(
            "train-images-idx3-ubyte.gz",
            ("sha256", "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"),
            size=26_421_880,
        ),
        FileSpec(
            "train-labels-idx1-ubyte.gz",
            ("sha256", "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"),
            size=29_515,
        ),
        FileSpec(
            "t10k-images-idx3-ubyte.gz",
            ("sha256", "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073"),
            size=4_422_102,
        ),
        FileSpec(
            "t10k-labels-idx1-ubyte.gz",
            ("sha256", "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"),
            size=5_148,
        ),
    ),
    base_urls=(
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
    ),
    license="MIT",
    citation=(
        "Han Xiao, Kashif Rasul, Roland Vollgraf. Fashion-MNIST: a Novel Image Dataset for "
        "Benchmarking Machine Learning Algorithms. arXiv:1708.07747, 2017."
    ),
    homepage="https://github.com/zalandoresearch/fashion-mnist",
    arxiv="1708.07747",
)

DATASETS: dict[str, DatasetSpec] = {FASHION_MNIST.name: FASHION_MNIST}


def get_dataset(name: str) -> DatasetSpec:
    """Look up a registered dataset, naming the known ones when ``name`` is not among them."""
    try:
        return DATASETS[name]
    except KeyError:
        raise KeyError(f"unknown dataset {name!r}; known: {', '.join(sorted(DATASETS))}") from None


# --------------------------------------------------------------------------- download


@dataclasses.dataclass(frozen=True)
class Attempt:
    """One failed try, kept so the final error can tell the whole story."""

    url: str
    attempt: int
    error: str


class DownloadError(RuntimeError):
    """Every source of a file failed; the message says how to place the file by hand."""

    def __init__(
        self, dest: Path, algorithm: str, expected: str, attempts: Sequence[Attempt]
    ) -> None:
        self.dest = dest
        self.algorithm = algorithm
        self.expected = expected
        self.attempts = list(attempts)
        tried = "\n".join(f"  - {a.url} (attempt {a.attempt}): {a.error}" for a in self.attempts)
        super().__init__(
            f"could not download {dest.name} (expected {algorithm} {expected}).\n"
            f"Tried:\n{tried}\n"
            f"To place the file by hand: get {dest.name} from any source above, save it as\n"
            f"  {dest.resolve()}\n"
            f"and check that its {algorithm} is {expected}. Rerunning the workflow will then "
            f"verify the file and use it without downloading."
        )


class _HashMismatchError(Exception):
    def __init__(self, received: str) -> None:
        super().__init__(received)
        self.received = received


class _TruncatedError(Exception):
    def __init__(self, received: int, announced: int) -> None:
        super().__init__(f"truncated body: received {received} of {announced} bytes")


def _parse_pin(expected_hash: tuple[str, str]) -> tuple[str, str]:
    algorithm, digest = expected_hash
    algorithm = algorithm.lower()
    if algorithm not in hashlib.algorithms_guaranteed:
        raise ValueError(f"unsupported hash algorithm {algorithm!r} in pin {expected_hash!r}")
    digest = digest.lower()
    if len(digest) != hashlib.new(algorithm).digest_size * 2 or not all(
        c in "0123456789abcdef" for c in digest
    ):
        raise ValueError(f"pin {expected_hash!r} is not a hex {algorithm} digest")
    return algorithm, digest


def file_digest(path: str | os.PathLike[str], algorithm: str) -> str:
    """Hex digest of a file with any hashlib algorithm, read in chunks."""
    if algorithm == "sha256":
        return sha256_file(path)
    digest = hashlib.new(algorithm)
    with Path(path).open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _stream(url: str, tmp: Path, algorithm: str, *, timeout: float, progress: bool) -> str:
    """Stream ``url`` into ``tmp`` and return its digest; raise on a short body."""
    digest = hashlib.new(algorithm)
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    with urllib.request.urlopen(request, timeout=timeout) as response, tmp.open("wb") as out:
        header = response.headers.get("Content-Length")
        announced = int(header) if header and header.strip().isdigit() else None
        received = 0
        # http.client returns b"" (no error) when the server closes before Content-Length
        # bytes arrived, so the count is checked by hand below.
        with tqdm(
            total=announced,
            desc=url.rsplit("/", 1)[-1],
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            file=sys.stderr,
            disable=not (progress and sys.stderr.isatty()),
            leave=False,
        ) as bar:
            while chunk := response.read(_CHUNK):
                out.write(chunk)
                digest.update(chunk)
                received += len(chunk)
                bar.update(len(chunk))
    if announced is not None and received != announced:
        raise _TruncatedError(received, announced)
    return digest.hexdigest()


def download_file(
    urls: str | Sequence[str],
    dest: str | os.PathLike[str],
    expected_hash: tuple[str, str],
    *,
    retries: int = 3,
    backoff: float = 1.0,
    timeout: float = 60.0,
    progress: bool = True,
) -> str | None:
    """Fetch one file from the first source that serves the pinned bytes.

    ``urls`` are tried in order. Each gets up to ``retries`` attempts (so ``retries=3``
    means at most three requests per URL), sleeping ``backoff * 2**(k-1)`` seconds after
    the k-th failure. Network errors, 5xx/408/429 answers and truncated bodies are
    retried; a hash mismatch or another 4xx moves straight to the next source, because
    asking the same server again would return the same wrong answer.

    Returns the URL the file came from, or ``None`` when ``dest`` already held the pinned
    bytes (then no request is made). Raises :class:`DownloadError` when every source failed;
    ``dest`` is never left holding unverified bytes.
    """
    target = Path(dest)
    algorithm, expected = _parse_pin(expected_hash)
    sources = [urls] if isinstance(urls, str) else list(urls)
    if retries < 1:
        raise ValueError(f"retries must be at least 1, got {retries}")
    if not sources:
        raise ValueError(f"no source URL given for {target.name}")

    if target.exists():
        found = file_digest(target, algorithm)
        if found == expected:
            log.info(f"{target}: present, {algorithm} matches; not downloading")
            return None
        log.warning(
            f"{target}: present but {algorithm} is {found}, expected {expected}; downloading again"
        )

    failures: list[Attempt] = []
    for url in sources:
        for attempt in range(1, retries + 1):
            try:
                # atomic_path removes the temporary file on any exception, and renames
                # it onto dest only when the block (and so the hash check) succeeded.
                with atomic_path(target) as tmp:
                    received = _stream(url, tmp, algorithm, timeout=timeout, progress=progress)
                    if received != expected:
                        raise _HashMismatchError(received)
            except _HashMismatchError as exc:
                failures.append(
                    Attempt(url, attempt, f"hash mismatch: received {algorithm} {exc.received}")
                )
                log.warning(f"{url}: {algorithm} {exc.received} != {expected}; next source")
                break
            except urllib.error.HTTPError as exc:
                failures.append(Attempt(url, attempt, f"HTTP {exc.code} {exc.reason}"))
                log.warning(f"{url}: HTTP {exc.code} {exc.reason} (attempt {attempt}/{retries})")
                if exc.code < 500 and exc.code not in _TRANSIENT_HTTP:
                    break
            except (
                _TruncatedError,
                urllib.error.URLError,
                http.client.HTTPException,
                OSError,
            ) as exc:
                reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
                message = f"{type(exc).__name__}: {reason}"
                failures.append(Attempt(url, attempt, message))
                log.warning(f"{url}: {message} (attempt {attempt}/{retries})")
            else:
                log.info(f"{target}: downloaded from {url}, {algorithm} matches")
                return url
            if attempt < retries:
                time.sleep(backoff * 2 ** (attempt - 1))
    raise DownloadError(target, algorithm, expected, failures)


def fetch_dataset(
    dataset: str | DatasetSpec,
    dest_dir: str | os.PathLike[str],
    *,
    base_urls: Sequence[str] | None = None,
    retries: int = 3,
    backoff: float = 1.0,
    timeout: float = 60.0,
    progress: bool = True,
) -> dict[str, Any]:
    """Fetch and verify every file of a dataset into ``dest_dir``; write ``manifest.json``.

    ``dataset`` is a registered name or a :class:`DatasetSpec`. ``base_urls`` replaces the
    registry's sources (a local mirror, or the test server); empty means the registry's.
    The manifest is written last, so its presence means every file was verified: it is
    the natural Snakemake output of the download rule. Returns the manifest.
    """
    spec = get_dataset(dataset) if isinstance(dataset, str) else dataset
    bases = list(base_urls) if base_urls else list(spec.base_urls)
    out_dir = Path(dest_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    entries = []
    for file in spec.files:
        if Path(file.name).name != file.name:
            raise ValueError(f"file name {file.name!r} in dataset {spec.name!r} must be bare")
        dest = out_dir / file.name
        url = download_file(
            [f"{base.rstrip('/')}/{file.name}" for base in bases],
            dest,
            file.hash,
            retries=retries,
            backoff=backoff,
            timeout=timeout,
            progress=progress,
        )
        algorithm, digest = _parse_pin(file.hash)
        entries.append(
            {
                "name": file.name,
                # None: the file was already in place (an earlier run, or placed by hand).
                "url": url,
                "hash_algorithm": algorithm,
                "hash": digest,
                "sha256": sha256_file(dest),
                "size": dest.stat().st_size,
            }
        )

    manifest = {
        "dataset": spec.name,
        "license": spec.license,
        "citation": spec.citation,
        "arxiv": spec.arxiv,
        "homepage": spec.homepage,
        "files": entries,
    }
    write_json(manifest, out_dir / "manifest.json")
    log.info(f"{spec.name}: {len(entries)} files verified in {out_dir}")
    return manifest


# --------------------------------------------------------------------------- IDX format

# IDX type codes (http://yann.lecun.com/exdb/mnist/); multi-byte values are big-endian.
_IDX_DTYPES: dict[int, np.dtype[Any]] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


class IdxFormatError(ValueError):
    """A file is not a well-formed IDX file (bad magic, unknown type, wrong size)."""


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Parse an IDX file (gzipped or not, detected by content) into a native-endian array.

    The size check matters: a truncated file would otherwise reshape into garbage or fail
    with an obscure numpy error far from the cause.
    """
    source = Path(path)
    raw = source.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise IdxFormatError(f"{source}: corrupt gzip stream ({exc})") from exc
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise IdxFormatError(
            f"{source}: bad magic number 0x{raw[:4].hex()}; IDX starts with 00 00 <type> <ndim>"
        )
    code, ndim = raw[2], raw[3]
    if code not in _IDX_DTYPES:
        raise IdxFormatError(f"{source}: unknown IDX type code 0x{code:02x}")
    if ndim == 0:
        raise IdxFormatError(f"{source}: IDX header declares zero dimensions")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise IdxFormatError(f"{source}: file ends inside its {ndim}-dimension header")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = _IDX_DTYPES[code]
    count = math.prod(dims)
    if len(raw) - header != count * dtype.itemsize:
        raise IdxFormatError(
            f"{source}: header says shape {dims} of {dtype} ({count * dtype.itemsize} bytes), "
            f"but {len(raw) - header} bytes follow; the file is truncated or not IDX"
        )
    array = np.frombuffer(raw, dtype=dtype, count=count, offset=header).reshape(dims)
    return array.astype(dtype.newbyteorder("="))


def write_idx(array: np.ndarray, path: str | os.PathLike[str]) -> None:
    """Write ``array`` as IDX (gzipped when ``path`` ends in ``.gz``), atomically.

    Gzip's timestamp is fixed at 0 so the same array always gives the same bytes and hash.
    """
    data = np.asarray(array)
    native = data.dtype.newbyteorder("=")
    code = next((c for c, dt in _IDX_DTYPES.items() if dt.newbyteorder("=") == native), None)
    if code is None or data.ndim == 0:
        raise ValueError(f"cannot write {data.dtype} array of shape {data.shape} as IDX")
    payload = (
        bytes([0, 0, code, data.ndim])
        + struct.pack(f">{data.ndim}I", *data.shape)
        + data.astype(_IDX_DTYPES[code]).tobytes()
    )
    if str(path).endswith(".gz"):
        payload = gzip.compress(payload, mtime=0)
    with atomic_open(path, "wb") as handle:
        handle.write(payload)


class FashionMNIST(NamedTuple):
    """Fashion-MNIST as arrays; unpacks as ``x_train, y_train, x_test, y_test, classes``."""

    x_train: np.ndarray  # uint8 [N, 28, 28]
    y_train: np.ndarray  # uint8 [N], values 0-9 index class_names
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]


def load_fashion_mnist(dest_dir: str | os.PathLike[str]) -> FashionMNIST:
    """Read the four Fashion-MNIST IDX files from ``dest_dir`` (as written by fetch_dataset).

    Shapes and label ranges are checked so a wrong or mixed-up file fails here, by name,
    rather than as a silent accuracy drop in training.
    """
    folder = Path(dest_dir)
    splits = {}
    for split, prefix in (("train", "train"), ("test", "t10k")):
        images_path = folder / f"{prefix}-images-idx3-ubyte.gz"
        labels_path = folder / f"{prefix}-labels-idx1-ubyte.gz"
        images, labels = read_idx(images_path), read_idx(labels_path)
        if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
            raise IdxFormatError(
                f"{images_path}: expected uint8 images [N, 28, 28], got {images.dtype} "
                f"{images.shape}"
            )
        if labels.shape != (images.shape[0],):
            raise IdxFormatError(
                f"{labels_path}: {labels.shape} labels for {images.shape[0]} images in "
                f"{images_path.name}"
            )
        if labels.size and int(labels.max()) >= len(FASHION_MNIST_CLASSES):
            raise IdxFormatError(f"{labels_path}: label {int(labels.max())} outside 0-9")
        splits[split] = (images, labels)
    return FashionMNIST(*splits["train"], *splits["test"], FASHION_MNIST_CLASSES)
