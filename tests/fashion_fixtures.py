"""Fashion-MNIST for tests: the real files, their other wrappers, a local server, tiny stand-ins.

The real data come from Debian's package ``dataset-fashion-mnist`` (tests/setup.sh
installs it). Zalando's ``.gz`` files hold the same deflate stream as Debian's;
Debian's gzip header lacks the file name and has another timestamp. So Zalando's
exact bytes, pinned SHA-256 included, can be rebuilt offline from Debian's
(:func:`zalando_gzip`): the header's FNAME flag, the name, and Zalando's mtime
(read from the two label files in Zalando's repository; the images share them).
"""

from __future__ import annotations

import gzip
import http.server
import io
import struct
import threading
from collections import Counter
from pathlib import Path

import numpy as np

from regularization_report.data.fashion_mnist import DEBIAN_FOLDER, FILE_NAMES

DEBIAN = Path(DEBIAN_FOLDER)
FILES = FILE_NAMES
# gzip MTIME of Zalando's files (2017-08-31): train-* and t10k-* were packed 21 s apart.
ZALANDO_MTIME = {"train": 0x59A7E9DE, "t10k": 0x59A7E9F3}


def debian_bytes(name: str) -> bytes:
    return (DEBIAN / name).read_bytes()


def zalando_gzip(name: str) -> bytes:
    """Zalando's ``name`` byte for byte, rebuilt from Debian's file of the same name."""
    debian = debian_bytes(name)
    if debian[:4] != b"\x1f\x8b\x08\x00":  # gzip, deflate, no optional header fields
        raise ValueError(f"{DEBIAN / name}: unexpected gzip header {debian[:4].hex()}")
    mtime = ZALANDO_MTIME[name.split("-", 1)[0]]
    header = b"\x1f\x8b\x08\x08" + struct.pack("<I", mtime) + debian[8:10]
    return header + name.removesuffix(".gz").encode() + b"\0" + debian[10:]


def recompress(name: str, content: bytes | None = None) -> bytes:
    """Debian's content (or ``content``) gzipped anew, with the file name in the header.

    Level 1: any compression verifies, and level 9 takes half a minute on the images.
    """
    data = gzip.decompress(debian_bytes(name)) if content is None else content
    buffer = io.BytesIO()
    stem = name.removesuffix(".gz")
    with gzip.GzipFile(stem, "wb", compresslevel=1, fileobj=buffer, mtime=0) as f:
        f.write(data)
    return buffer.getvalue()


def corrupt_content(name: str) -> bytes:
    """A valid gzip file whose content differs from the real one by one pixel or label."""
    content = bytearray(gzip.decompress(debian_bytes(name)))
    content[-1] ^= 0xFF
    return recompress(name, bytes(content))


def truncated(name: str) -> bytes:
    """Debian's file cut in half: no longer a complete gzip stream."""
    blob = debian_bytes(name)
    return blob[: len(blob) // 2]


class Server:
    """Serves ``routes[path] = [(mode, body), ...]`` on 127.0.0.1, one entry per request (the
    last one repeats); mode is ok, truncate (announce more bytes than sent) or 404."""

    def __init__(self) -> None:
        self.routes: dict[str, list[tuple[str, bytes]]] = {}
        self.requests: Counter[str] = Counter()
        routes, requests = self.routes, self.requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                requests[self.path] += 1
                answers = routes.get(self.path, [("404", b"")])
                mode, body = answers[min(requests[self.path], len(answers)) - 1]
                if mode == "404":
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                extra = 1000 if mode == "truncate" else 0
                self.send_header("Content-Length", str(len(body) + extra))
                self.end_headers()
                self.wfile.write(body)
                self.close_connection = True

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        # A short poll interval keeps shutdown (and so each test's teardown) fast.
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    def serve(self, path: str, *answers: tuple[str, bytes]) -> None:
        self.routes[path] = list(answers)

    def __enter__(self) -> Server:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


# --- tiny stand-ins for tests of training code (no manifest: not verified on load) ---------
def write_idx(array: np.ndarray, path: Path) -> bytes:
    """Write a uint8 array as a gzipped IDX file; return its bytes."""
    data = np.asarray(array, dtype=np.uint8)
    payload = bytes([0, 0, 0x08, data.ndim]) + struct.pack(f">{data.ndim}I", *data.shape)
    blob = gzip.compress(payload + data.tobytes(), mtime=0)
    path.write_bytes(blob)
    return blob


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
    return {name: write_idx(array, folder / name) for name, array in arrays.items()}
