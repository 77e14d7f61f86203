"""Fashion-MNIST: fetch and verify the four IDX files, read them, and split them as the course did.

Identity. A file is Fashion-MNIST when the SHA-256 of its *decompressed*
content matches :data:`FILES`. The ``.gz`` wrapper does not count: Debian's
package ``dataset-fashion-mnist`` ships Zalando's files re-wrapped without the
file name in the gzip header (24 bytes shorter, another SHA-256), and any other
re-compression is just as good. Both known ``.gz`` SHA-256 are kept, so the
manifest records which wrapper a file came in (``zalando``, ``debian`` or
``recompressed``).

Fetching. Sources are tried in order for each file: a local folder (Debian's
``/usr/share/datasets/fashion-mnist`` by default, skipped when absent), then
base URLs (``https://``, ``http://`` or ``file://``). pooch does the transfer:
a temporary file beside the target, retries with a growing wait on network
errors and short bodies, and the rename onto the final name. What pooch lacks
is small and lives here: ``file://`` sources (a copy), the content check (run
on pooch's temporary file, so nothing unverified ever reaches the final name),
trying the next source when one fails, and the IDX parser.

Libraries considered and not used:

- ``torchvision.datasets.FashionMNIST`` and ``tensorflow_datasets`` pin the
  ``.gz`` bytes (MD5 / SHA-256 of the archive), so they refuse Debian's files;
  they also pull a second framework (torchvision must match the torch build
  exactly, and is excluded here on purpose).
- ``keras.datasets.fashion_mnist`` downloads without any checksum and only
  from Google's storage; no local source.
- ``idx2numpy`` / ``python-mnist`` only parse IDX (30 lines here) and would add
  a dependency for it.
- ``fsspec`` handles ``file://`` and many protocols but brings no hash check
  or retry; pooch's transfer plus a 5-line ``file://`` downloader is smaller.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gzip
import hashlib
import logging
import math
import os
import shutil
import struct
import urllib.parse
import urllib.request
import zlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from regularization_report.files import read_json, write_json

log = logging.getLogger(__name__)

DATASET = "fashion_mnist"
CLASSES: tuple[str, ...] = (
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
IMAGE_SHAPE = (28, 28)
PIXELS = IMAGE_SHAPE[0] * IMAGE_SHAPE[1]
DEBIAN_FOLDER = "/usr/share/datasets/fashion-mnist"
# Zalando's own sources, tried after the folder when the config lists no base URL.
ZALANDO_BASE_URLS = (
    "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
)
LICENSE = "MIT"
CITATION = (
    "Han Xiao, Kashif Rasul, Roland Vollgraf. Fashion-MNIST: a Novel Image Dataset for "
    "Benchmarking Machine Learning Algorithms. arXiv:1708.07747, 2017."
)
HOMEPAGE = "https://github.com/zalandoresearch/fashion-mnist"
ARXIV = "1708.07747"


@dataclasses.dataclass(frozen=True)
class FashionFile:
    """One of the four files: its name, its identity, and the ``.gz`` wrappers known for it."""

    name: str
    content_sha256: str  # SHA-256 of the decompressed IDX bytes: what the file *is*
    gzip_sha256: Mapping[str, str]  # wrapper -> SHA-256 of the .gz as that source ships it


# Content digests and Debian's .gz digests: issue 13 (checked against the package).
# Zalando's .gz digests: the values TensorFlow Datasets pins; its README also publishes
# MD5s (train-images 8d4fb7e6c68d591d4c3dfef9ec88bf0d, train-labels
# 25c81989df183df01b3e8a0aad5dffbe, t10k-images bef4ecab320f06d8554ea6380940ec79,
# t10k-labels bb300cfdad3c16e7a12a480ee83cd310).
FILES: tuple[FashionFile, ...] = (
    FashionFile(
        "train-images-idx3-ubyte.gz",
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        {
            "zalando": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
            "debian": "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
        },
    ),
    FashionFile(
        "train-labels-idx1-ubyte.gz",
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        {
            "zalando": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
            "debian": "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
        },
    ),
    FashionFile(
        "t10k-images-idx3-ubyte.gz",
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        {
            "zalando": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
            "debian": "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
        },
    ),
    FashionFile(
        "t10k-labels-idx1-ubyte.gz",
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        {
            "zalando": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
            "debian": "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
        },
    ),
)
FILE_NAMES = tuple(f.name for f in FILES)


# --------------------------------------------------------------------------- verification


class UnverifiedFileError(RuntimeError):
    """A file is not the Fashion-MNIST file it claims to be (corrupt, truncated or another one).

    Not a ``ValueError`` on purpose: pooch retries those on the same source, and the
    same source would serve the same wrong bytes.
    """


def _fix_hint(spec: FashionFile) -> str:
    return (
        f"Get {spec.name} again: from Debian's package (apt-get install dataset-fashion-mnist, "
        f"then it is in {DEBIAN_FOLDER}/) or from {ZALANDO_BASE_URLS[0]}. Any copy whose "
        f"decompressed content has SHA-256 {spec.content_sha256} verifies."
    )


def verify_file(path: str | os.PathLike[str], spec: FashionFile, *, label: str = "") -> dict:
    """Check one file by the SHA-256 of its decompressed content; return its manifest entry.

    ``label`` names the file in messages (the URL a temporary download came from).
    Raises :class:`UnverifiedFileError` naming the file, the expected and the actual
    digest, and what to do.
    """
    source = Path(path)
    shown = label or str(source)
    packed = source.read_bytes()
    packed_sha256 = hashlib.sha256(packed).hexdigest()
    known = ", ".join(f"{origin} {digest}" for origin, digest in spec.gzip_sha256.items())
    try:
        content = gzip.decompress(packed)
    except (OSError, EOFError, zlib.error) as exc:
        raise UnverifiedFileError(
            f"{shown}: not a complete gzip file ({exc}); the file is truncated or corrupt. "
            f"Its SHA-256 is {packed_sha256}, {len(packed)} bytes; expected a .gz whose "
            f"content has SHA-256 {spec.content_sha256} (known .gz SHA-256: {known}). "
            + _fix_hint(spec)
        ) from exc
    content_sha256 = hashlib.sha256(content).hexdigest()
    if content_sha256 != spec.content_sha256:
        raise UnverifiedFileError(
            f"{shown}: decompressed content has SHA-256 {content_sha256}, expected "
            f"{spec.content_sha256} for {spec.name} (the .gz has SHA-256 {packed_sha256}; "
            f"known: {known}). The file is corrupt or another file. " + _fix_hint(spec)
        )
    origin = next(
        (name for name, digest in spec.gzip_sha256.items() if digest == packed_sha256),
        "recompressed",
    )
    return {
        "name": spec.name,
        "sha256": packed_sha256,
        "content_sha256": content_sha256,
        "gzip": origin,
        "size": len(packed),
    }


# --------------------------------------------------------------------------- fetching


def file_url_download(url: str, output_file: str, pooch: Any = None) -> None:
    """pooch downloader for ``file://`` URLs (pooch knows http, https, ftp, sftp, doi)."""
    path = urllib.request.url2pathname(urllib.parse.urlparse(url).path)
    shutil.copyfile(path, output_file)


class _VerifyingDownloader:
    """Wrap a pooch downloader: check the content of pooch's temporary file before pooch
    renames it onto the final name, so a refused file never appears there."""

    def __init__(self, download: Any, spec: FashionFile) -> None:
        self.download = download
        self.spec = spec
        self.entry: dict | None = None

    def __call__(self, url: str, output_file: str, pooch: Any) -> None:
        self.download(url, output_file, pooch)
        self.entry = verify_file(output_file, self.spec, label=url)


class _ForwardToLogging(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        logging.getLogger("pooch").handle(record)


@contextlib.contextmanager
def _pooch_logs_into_logging() -> Iterator[None]:
    """pooch logs to its own stderr handler; send its records (retries) to the job's log."""
    import pooch

    logger = pooch.get_logger()
    saved = logger.handlers[:]
    logger.handlers = [_ForwardToLogging()]
    try:
        yield
    finally:
        logger.handlers = saved


def source_urls(folder: str | os.PathLike[str] | None, base_urls: Sequence[str] = ()) -> list[str]:
    """Base URLs to try in order: the folder (as ``file://``) when it exists, then ``base_urls``
    (Zalando's when empty)."""
    urls = []
    if folder:
        if Path(folder).is_dir():
            urls.append(Path(folder).absolute().as_uri() + "/")
        else:
            log.info(f"source folder {folder} does not exist; skipping it")
    urls.extend(base.rstrip("/") + "/" for base in (base_urls or ZALANDO_BASE_URLS))
    return urls


class FetchError(RuntimeError):
    """Every source of a file failed; the message lists them and says what to do."""


def fetch_file(
    spec: FashionFile,
    dest_dir: str | os.PathLike[str],
    sources: Sequence[str],
    *,
    retries: int = 3,
    timeout: float = 60.0,
) -> dict:
    """Put a verified ``spec.name`` in ``dest_dir``; return its manifest entry (with ``url``).

    A file already there is verified and kept (``url`` None); one that fails is moved
    aside to ``<name>.rejected``. Each source gets ``retries`` attempts for network
    errors (pooch waits 1 s, 2 s, ... between them); a file that arrives but fails the
    content check moves on to the next source at once.
    """
    import pooch
    import requests

    if retries < 1:
        raise ValueError(f"retries must be at least 1, got {retries}")
    folder = Path(dest_dir)
    dest = folder / spec.name
    if dest.exists():
        try:
            entry = verify_file(dest, spec)
        except UnverifiedFileError as exc:
            rejected = dest.with_name(f"{dest.name}.rejected")
            dest.replace(rejected)
            log.warning(f"{exc}\nMoved it to {rejected}; fetching it again.")
        else:
            log.info(f"{dest}: present, content verified ({entry['gzip']} .gz)")
            return {**entry, "url": None}

    failures = []
    for base in sources:
        url = base + spec.name
        store = pooch.create(
            path=folder, base_url=base, registry={spec.name: None}, retry_if_failed=retries - 1
        )
        if url.startswith("file://"):
            transfer: Any = file_url_download
        else:
            transfer = pooch.HTTPDownloader(progressbar=False, timeout=timeout)
        downloader = _VerifyingDownloader(transfer, spec)
        try:
            with _pooch_logs_into_logging():
                store.fetch(spec.name, downloader=downloader)
        except (UnverifiedFileError, requests.RequestException, OSError) as exc:
            failures.append(f"  - {url}: {type(exc).__name__}: {exc}")
            log.warning(f"{url}: {exc}")
            continue
        entry = downloader.entry or verify_file(dest, spec)  # set unless pooch skipped it
        log.info(f"{dest}: from {url}, content verified ({entry['gzip']} .gz)")
        return {**entry, "url": url}
    tried = "\n".join(failures) or "  (no source configured)"
    raise FetchError(
        f"could not get {spec.name} (decompressed content SHA-256 {spec.content_sha256}).\n"
        f"Tried:\n{tried}\n"
        f"To fix: install Debian's package (apt-get install dataset-fashion-mnist) and keep "
        f"fashion_mnist.download.source.folder: {DEBIAN_FOLDER}, or set "
        f"fashion_mnist.download.source.base_urls to a mirror that works, or place the file "
        f"by hand at\n  {dest.resolve()}\n"
        f"The next run verifies it and makes no request."
    )


def fetch_fashion_mnist(
    dest_dir: str | os.PathLike[str],
    *,
    folder: str | os.PathLike[str] | None = DEBIAN_FOLDER,
    base_urls: Sequence[str] = (),
    retries: int = 3,
    timeout: float = 60.0,
) -> dict[str, Any]:
    """Fetch and verify the four files into ``dest_dir``; write ``manifest.json`` last.

    The manifest's presence therefore means every file verified: it is the download
    rule's output. Returns the manifest.
    """
    out_dir = Path(dest_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    sources = source_urls(folder, base_urls)
    entries = [
        fetch_file(spec, out_dir, sources, retries=retries, timeout=timeout) for spec in FILES
    ]
    manifest = {
        "dataset": DATASET,
        "license": LICENSE,
        "citation": CITATION,
        "homepage": HOMEPAGE,
        "arxiv": ARXIV,
        "identity": "sha256 of the decompressed content (content_sha256)",
        "files": entries,
    }
    write_json(manifest, out_dir / "manifest.json")
    log.info(f"{DATASET}: {len(entries)} files verified in {out_dir}")
    return manifest


# --------------------------------------------------------------------------- IDX format

# IDX type codes (LeCun's MNIST page); multi-byte values are big-endian.
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


def parse_idx(raw: bytes, source: str) -> np.ndarray:
    """Parse IDX bytes (already decompressed) into a native-endian array.

    The size check matters: a truncated file would otherwise reshape into garbage or
    fail with an obscure numpy error far from the cause.
    """
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


class FashionMNIST(NamedTuple):
    """Fashion-MNIST as arrays; unpacks as ``x_train, y_train, x_test, y_test, classes``."""

    x_train: np.ndarray  # uint8 [60000, 28, 28]
    y_train: np.ndarray  # uint8 [60000], values 0-9 index class_names
    x_test: np.ndarray  # uint8 [10000, 28, 28]
    y_test: np.ndarray
    class_names: tuple[str, ...]


def load_fashion_mnist(raw_dir: str | os.PathLike[str]) -> FashionMNIST:
    """Read the four files from ``raw_dir`` (as written by :func:`fetch_fashion_mnist`).

    With a ``manifest.json`` beside them, each file's decompressed content must still
    have the SHA-256 the manifest recorded (as ``bundled.read_raw`` checks its CSV).
    Shapes and label ranges are checked so a wrong or mixed-up file fails here, by
    name, rather than as a silent accuracy drop in training.
    """
    folder = Path(raw_dir)
    manifest_path = folder / "manifest.json"
    recorded = {}
    if manifest_path.exists():
        recorded = {e["name"]: e["content_sha256"] for e in read_json(manifest_path)["files"]}
    arrays = {}
    for name in FILE_NAMES:
        path = folder / name
        try:
            content = gzip.decompress(path.read_bytes())
        except (OSError, EOFError, zlib.error) as exc:
            raise IdxFormatError(
                f"{path}: cannot be decompressed ({exc}). Fetch it again: delete "
                f"{manifest_path} and rerun the workflow."
            ) from exc
        digest = hashlib.sha256(content).hexdigest()
        if name in recorded and digest != recorded[name]:
            raise IdxFormatError(
                f"{path}: decompressed content has SHA-256 {digest}, but {manifest_path} "
                f"recorded {recorded[name]}; the file changed after it was verified. Fetch "
                f"it again: delete {manifest_path} and rerun the workflow."
            )
        arrays[name] = parse_idx(content, str(path))
    splits = []
    for prefix in ("train", "t10k"):
        images_name, labels_name = (
            f"{prefix}-images-idx3-ubyte.gz",
            f"{prefix}-labels-idx1-ubyte.gz",
        )
        images, labels = arrays[images_name], arrays[labels_name]
        if images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE or images.dtype != np.uint8:
            raise IdxFormatError(
                f"{folder / images_name}: expected uint8 images [N, 28, 28], got "
                f"{images.dtype} {images.shape}"
            )
        if labels.shape != (images.shape[0],):
            raise IdxFormatError(
                f"{folder / labels_name}: {labels.shape} labels for {images.shape[0]} images "
                f"in {images_name}"
            )
        if labels.size and int(labels.max()) >= len(CLASSES):
            raise IdxFormatError(f"{folder / labels_name}: label {int(labels.max())} outside 0-9")
        splits.extend([images, labels])
    return FashionMNIST(*splits, CLASSES)


# --------------------------------------------------------------------------- pixels and splits


def scale_pixels(images: np.ndarray, divisions: int = 1) -> np.ndarray:
    """uint8 images -> float32, divided by 255 ``divisions`` times, as the course's code did.

    ``x / 255`` on a uint8 array gives float64 in NumPy; repeating it rounds once per
    division (the course's ``/255`` twice), and Keras then casts its input to float32.
    """
    if images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE:
        raise ValueError(f"expected images of shape [N, 28, 28], got {images.shape}")
    scaled = images.astype(np.float64)
    for _ in range(divisions):
        scaled = scaled / 255
    return scaled.astype(np.float32)


def flatten_pixels(images: np.ndarray, divisions: int = 1) -> np.ndarray:
    """uint8 images [N, 28, 28] -> float32 rows [N, 784], scaled by :func:`scale_pixels`."""
    return scale_pixels(images, divisions).reshape(len(images), PIXELS)


def process_fashion_mnist(
    raw_dir: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    *,
    val_size: float,
    seed: int,
) -> dict[str, np.ndarray]:
    """Write ``fashion_mnist.npz`` in the layout of every processed dataset
    (``bundled.load_split``): rows of 784 pixels in [0, 1], a stratified, seeded
    validation set cut from the 60 000 training images, the official 10 000 test images."""
    from sklearn.model_selection import train_test_split

    from regularization_report.data.bundled import save_split

    data = load_fashion_mnist(raw_dir)
    X = flatten_pixels(data.x_train)
    y = data.y_train.astype(np.int64)
    X_train, X_val, y_train, y_val = train_test_split(
        X, y, test_size=val_size, random_state=seed, stratify=y
    )
    parts = {
        "X_train": X_train,
        "y_train": y_train,
        "X_val": X_val,
        "y_val": y_val,
        "X_test": flatten_pixels(data.x_test),
        "y_test": data.y_test.astype(np.int64),
    }
    save_split(
        parts,
        out_path,
        feature_names=[f"pixel_{i}" for i in range(PIXELS)],
        task="classification",
    )
    log.info(
        f"{DATASET}: train {len(y_train)}, validation {len(y_val)}, test {len(parts['y_test'])}"
    )
    return parts


@dataclasses.dataclass(frozen=True)
class CourseData:
    """How one of the course's demos prepared its data."""

    section: str  # the course's section
    pixel_divisions: int  # times the pixels were divided by 255
    test_size: float | None  # train_test_split of the 60 000 training images; None: no split
    random_state: int | None


# The course's three demos (names as in config fashion_mnist.course.demos).
COURSE_DATA: dict[str, CourseData] = {
    # Dropout(0.9) on all 60 000 training images; no validation, then the test set.
    "course_model": CourseData("25-6 a", 1, None, None),
    # Dropout(0.5) vs none, 200 epochs; the pixels were divided by 255 twice.
    "overfitting": CourseData("25-6 b", 2, 0.01, 101),
    # Batch normalization vs none, 20 epochs.
    "batchnorm": CourseData("25-7", 1, 0.3, 101),
}


class CourseSplit(NamedTuple):
    """One demo's arrays: images float32 [N, 28, 28] as the course fed them, labels int64.

    ``x_val``/``y_val`` are the ``train_test_split`` hold-out the course validated on
    (``validation_data=``), None where it did not validate; test is the official set.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray | None
    y_val: np.ndarray | None
    x_test: np.ndarray
    y_test: np.ndarray


def course_split(data: FashionMNIST, demo: str) -> CourseSplit:
    """The rows and scaling one of the course's demos used, for the port and the Keras
    reference alike: ``train_test_split(x, y, test_size, random_state)`` unstratified,
    exactly as the course called it, on pixels divided by 255 once or twice."""
    if demo not in COURSE_DATA:
        raise ValueError(f"unknown course demo {demo!r}; known: {sorted(COURSE_DATA)}")
    spec = COURSE_DATA[demo]
    x = scale_pixels(data.x_train, spec.pixel_divisions)
    y = data.y_train.astype(np.int64)
    x_test = scale_pixels(data.x_test, spec.pixel_divisions)
    y_test = data.y_test.astype(np.int64)
    if spec.test_size is None:
        return CourseSplit(x, y, None, None, x_test, y_test)
    from sklearn.model_selection import train_test_split

    x_train, x_val, y_train, y_val = train_test_split(
        x, y, test_size=spec.test_size, random_state=spec.random_state
    )
    return CourseSplit(x_train, y_train, x_val, y_val, x_test, y_test)
