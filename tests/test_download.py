"""The download layer against a real HTTP server on 127.0.0.1.

Nothing is mocked below urllib: a background ``http.server`` serves tiny IDX fixtures
(good, corrupted, truncated, missing), so these tests exercise the exact code path a
real download takes, and never leave the machine.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import http.server
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from regularization_report.data.download import (
    DATASETS,
    FASHION_MNIST_CLASSES,
    DatasetSpec,
    DownloadError,
    FileSpec,
    IdxFormatError,
    download_file,
    fetch_dataset,
    load_fashion_mnist,
    read_idx,
    write_idx,
)
from regularization_report.files import read_json

FAST = {"retries": 3, "backoff": 0.001, "timeout": 5.0, "progress": False}


class Server:
    """Serves ``routes[path] = (mode, body)``; mode is ok, truncate or 404. Counts requests."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[str, bytes]] = {}
        self.requests: Counter[str] = Counter()
        routes, requests = self.routes, self.requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                requests[self.path] += 1
                mode, body = routes.get(self.path, ("404", b""))
                if mode == "404":
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                # truncate: announce more bytes than are sent, then hang up.
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


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # A proxy from the environment would route 127.0.0.1 requests off the machine.
    for var in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "*")


@pytest.fixture
def server() -> Iterator[Server]:
    srv = Server()
    srv.thread.start()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()
    srv.thread.join(timeout=5)


@pytest.fixture
def fixtures() -> dict[str, np.ndarray]:
    """Five tiny 28x28 'images' with labels per split, as Fashion-MNIST would name them."""
    rng = np.random.default_rng(0)
    return {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte.gz": rng.integers(0, 10, 5, dtype=np.uint8),
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte.gz": rng.integers(0, 10, 3, dtype=np.uint8),
    }


@pytest.fixture
def served(
    tmp_path: Path, server: Server, fixtures: dict[str, np.ndarray]
) -> tuple[DatasetSpec, dict[str, bytes]]:
    """Fixture files under /good/ on the server, and a spec pinned to their real hashes."""
    source = tmp_path / "source"
    blobs = {}
    for name, array in fixtures.items():
        write_idx(array, source / name)
        blobs[name] = (source / name).read_bytes()
        server.routes[f"/good/{name}"] = ("ok", blobs[name])
    spec = dataclasses.replace(
        DATASETS["fashion_mnist"],
        files=tuple(
            FileSpec(name, ("sha256", hashlib.sha256(blob).hexdigest()))
            for name, blob in blobs.items()
        ),
        base_urls=(f"{server.url}/good/",),
    )
    return spec, blobs


def _pin(blob: bytes) -> tuple[str, str]:
    return ("sha256", hashlib.sha256(blob).hexdigest())


def test_good_files_download_verify_and_round_trip(
    tmp_path: Path, served: tuple[DatasetSpec, dict[str, bytes]], fixtures: dict[str, np.ndarray]
) -> None:
    spec, blobs = served
    dest = tmp_path / "raw"
    manifest = fetch_dataset(spec, dest, **FAST)

    assert read_json(dest / "manifest.json") == manifest
    assert manifest["license"] == "MIT"
    assert "1708.07747" in manifest["citation"]
    for entry in manifest["files"]:
        blob = blobs[entry["name"]]
        assert (dest / entry["name"]).read_bytes() == blob
        assert entry["url"] == f"{spec.base_urls[0]}{entry['name']}"
        assert entry["hash_algorithm"] == "sha256"
        assert entry["hash"] == entry["sha256"] == hashlib.sha256(blob).hexdigest()
        assert entry["size"] == len(blob)
    assert sorted(p.name for p in dest.iterdir()) == sorted([*blobs, "manifest.json"])

    for name, array in fixtures.items():
        np.testing.assert_array_equal(read_idx(dest / name), array)
    x_train, y_train, x_test, y_test, classes = load_fashion_mnist(dest)
    assert x_train.dtype == np.uint8 and x_train.shape == (5, 28, 28)
    np.testing.assert_array_equal(x_train, fixtures["train-images-idx3-ubyte.gz"])
    np.testing.assert_array_equal(y_train, fixtures["train-labels-idx1-ubyte.gz"])
    np.testing.assert_array_equal(x_test, fixtures["t10k-images-idx3-ubyte.gz"])
    np.testing.assert_array_equal(y_test, fixtures["t10k-labels-idx1-ubyte.gz"])
    assert classes == FASHION_MNIST_CLASSES and len(classes) == 10


def test_md5_pin_is_verified_with_md5(tmp_path: Path, server: Server) -> None:
    blob = gzip.compress(b"payload", mtime=0)
    server.routes["/f.gz"] = ("ok", blob)
    pin = ("md5", hashlib.md5(blob).hexdigest())
    assert download_file(f"{server.url}/f.gz", tmp_path / "f.gz", pin, **FAST) is not None
    assert (tmp_path / "f.gz").read_bytes() == blob


def test_corrupted_file_raises_and_leaves_nothing(tmp_path: Path, server: Server) -> None:
    good, bad = b"the right bytes", b"some other bytes"
    server.routes["/f.gz"] = ("ok", bad)
    dest_dir = tmp_path / "raw"
    url = f"{server.url}/f.gz"
    with pytest.raises(DownloadError) as info:
        download_file(url, dest_dir / "f.gz", _pin(good), **FAST)

    message = str(info.value)
    assert url in message
    assert hashlib.sha256(good).hexdigest() in message  # expected
    assert hashlib.sha256(bad).hexdigest() in message  # received
    assert str((dest_dir / "f.gz").resolve()) in message  # where to place it by hand
    assert list(dest_dir.iterdir()) == []
    # The same server would serve the same wrong bytes: no retry on a mismatch.
    assert server.requests["/f.gz"] == 1


def test_truncated_body_raises_and_leaves_nothing(tmp_path: Path, server: Server) -> None:
    blob = b"x" * 5000
    server.routes["/f.gz"] = ("truncate", blob)
    dest_dir = tmp_path / "raw"
    with pytest.raises(DownloadError) as info:
        download_file(f"{server.url}/f.gz", dest_dir / "f.gz", _pin(blob), **FAST)

    assert "truncated" in str(info.value)
    assert "5000 of 6000 bytes" in str(info.value)
    assert list(dest_dir.iterdir()) == []
    assert server.requests["/f.gz"] == FAST["retries"]  # a short read is worth retrying


def test_server_down_fails_after_configured_retries(tmp_path: Path) -> None:
    with socket.socket() as sock:  # reserve a free port, then close it: nothing listens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/f.gz"
    dest_dir = tmp_path / "raw"

    start = time.monotonic()
    with pytest.raises(DownloadError) as info:
        download_file(url, dest_dir / "f.gz", _pin(b"anything"), **{**FAST, "retries": 4})
    assert time.monotonic() - start < 3

    error = info.value
    assert [a.attempt for a in error.attempts] == [1, 2, 3, 4]
    assert all(a.url == url for a in error.attempts)
    assert "(attempt 4)" in str(error) and "refused" in str(error).lower()
    assert not (dest_dir / "f.gz").exists()


def test_bad_primary_falls_back_to_mirror(tmp_path: Path, server: Server) -> None:
    blob = b"the right bytes"
    server.routes["/primary/f.gz"] = ("ok", b"wrong bytes")
    server.routes["/mirror/f.gz"] = ("ok", blob)
    urls = [f"{server.url}/missing/f.gz", f"{server.url}/primary/f.gz", f"{server.url}/mirror/f.gz"]

    used = download_file(urls, tmp_path / "f.gz", _pin(blob), **FAST)

    assert used == urls[2]
    assert (tmp_path / "f.gz").read_bytes() == blob
    # A 404 and a hash mismatch are final for their source: one request each.
    assert server.requests == Counter({"/missing/f.gz": 1, "/primary/f.gz": 1, "/mirror/f.gz": 1})


def test_fetch_dataset_base_urls_override_registry(
    tmp_path: Path, server: Server, served: tuple[DatasetSpec, dict[str, bytes]]
) -> None:
    spec, _ = served
    dead = dataclasses.replace(spec, base_urls=("http://127.0.0.1:9/never/",))
    manifest = fetch_dataset(dead, tmp_path / "raw", base_urls=[f"{server.url}/good/"], **FAST)
    assert all(e["url"].startswith(f"{server.url}/good/") for e in manifest["files"])


def test_present_with_right_hash_makes_no_request(
    tmp_path: Path, server: Server, served: tuple[DatasetSpec, dict[str, bytes]]
) -> None:
    spec, blobs = served
    dest = tmp_path / "raw"
    dest.mkdir()
    for name, blob in blobs.items():  # as if placed by hand
        (dest / name).write_bytes(blob)

    manifest = fetch_dataset(spec, dest, **FAST)

    assert sum(server.requests.values()) == 0
    assert [e["url"] for e in manifest["files"]] == [None] * len(blobs)
    assert (dest / "manifest.json").exists()


def test_present_with_wrong_hash_is_downloaded_again(
    tmp_path: Path, server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    blob = b"the right bytes"
    server.routes["/f.gz"] = ("ok", blob)
    (tmp_path / "f.gz").write_bytes(b"stale bytes")

    with caplog.at_level("WARNING"):
        download_file(f"{server.url}/f.gz", tmp_path / "f.gz", _pin(blob), **FAST)

    assert "downloading again" in caplog.text
    assert (tmp_path / "f.gz").read_bytes() == blob
    assert server.requests["/f.gz"] == 1


def test_read_idx_rejects_bad_magic_and_truncation(tmp_path: Path) -> None:
    bad_magic = tmp_path / "bad.idx"
    bad_magic.write_bytes(b"\x12\x34\x08\x01" + (3).to_bytes(4, "big") + b"abc")
    with pytest.raises(IdxFormatError, match="bad magic"):
        read_idx(bad_magic)

    short = tmp_path / "short.idx.gz"
    short.write_bytes(gzip.compress(b"\x00\x00\x08\x01" + (10).to_bytes(4, "big") + b"abc"))
    with pytest.raises(IdxFormatError, match="truncated"):
        read_idx(short)


def test_registry_pins_fashion_mnist() -> None:
    spec = DATASETS["fashion_mnist"]
    assert [f.name for f in spec.files] == [
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ]
    assert all(f.hash[0] == "sha256" and len(f.hash[1]) == 64 for f in spec.files)
    assert spec.base_urls[0].startswith("http://fashion-mnist.s3-website.eu-central-1")
    assert len(spec.base_urls) >= 2 and spec.license == "MIT"
