"""The Fashion-MNIST data layer on the real files, all offline.

Debian's package provides the real data (tests/setup.sh installs it); Zalando's
exact ``.gz`` bytes are rebuilt from them (fashion_fixtures.zalando_gzip), and a
local ``http.server`` stands in for a web source. Nothing is mocked: pooch and
requests do the transfers the workflow does.
"""

from __future__ import annotations

import gzip
import hashlib
import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import REPO
from fashion_fixtures import (
    DEBIAN,
    FILES,
    Server,
    corrupt_content,
    debian_bytes,
    recompress,
    truncated,
    zalando_gzip,
)
from sklearn.model_selection import train_test_split

from regularization_report.data import fashion_mnist as fm
from regularization_report.data.bundled import load_split
from regularization_report.files import read_json

SPECS = {spec.name: spec for spec in fm.FILES}
LABELS = "train-labels-idx1-ubyte.gz"  # the smallest training file: fast to serve


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # A proxy from the environment would route 127.0.0.1 requests off the machine.
    for var in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "*")


@pytest.fixture
def server() -> Iterator[Server]:
    with Server() as srv:
        yield srv


@pytest.fixture(scope="module")
def data() -> fm.FashionMNIST:
    return fm.load_fashion_mnist(DEBIAN)


def _folder(tmp_path: Path, blobs: dict[str, bytes]) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    for name, blob in blobs.items():
        (tmp_path / name).write_bytes(blob)
    return tmp_path


def _dead_url() -> str:
    with socket.socket() as sock:  # a free port, then closed: nothing listens there
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/"


# --- identity: the content, whatever the wrapper ------------------------------------------
def test_debian_files_verify_by_content() -> None:
    for spec in fm.FILES:
        entry = fm.verify_file(DEBIAN / spec.name, spec)
        assert entry["gzip"] == "debian"
        assert entry["sha256"] == spec.gzip_sha256["debian"]
        assert entry["content_sha256"] == spec.content_sha256
        assert entry["size"] == (DEBIAN / spec.name).stat().st_size


def test_zalando_and_recompressed_files_verify(tmp_path: Path) -> None:
    for spec in fm.FILES:
        zalando = zalando_gzip(spec.name)
        # The rebuilt file is Zalando's, byte for byte (their pinned SHA-256): Debian's
        # plus the file name and its NUL in the header.
        assert hashlib.sha256(zalando).hexdigest() == spec.gzip_sha256["zalando"]
        assert len(zalando) == len(debian_bytes(spec.name)) + len(spec.name) - len(".gz") + 1
        (tmp_path / spec.name).write_bytes(zalando)
        assert fm.verify_file(tmp_path / spec.name, spec)["gzip"] == "zalando"

        other = recompress(spec.name)  # gzip's own header: another SHA-256 again
        assert hashlib.sha256(other).hexdigest() not in spec.gzip_sha256.values()
        (tmp_path / spec.name).write_bytes(other)
        entry = fm.verify_file(tmp_path / spec.name, spec)
        assert entry["gzip"] == "recompressed"
        assert entry["content_sha256"] == spec.content_sha256


def test_corrupt_and_truncated_files_are_refused_with_both_digests(tmp_path: Path) -> None:
    spec = SPECS[LABELS]
    path = tmp_path / LABELS
    path.write_bytes(corrupt_content(LABELS))
    with pytest.raises(fm.UnverifiedFileError) as info:
        fm.verify_file(path, spec)
    message = str(info.value)
    actual = hashlib.sha256(gzip.decompress(path.read_bytes())).hexdigest()
    assert str(path) in message and spec.content_sha256 in message and actual in message
    assert "apt-get install dataset-fashion-mnist" in message  # what to do

    path.write_bytes(truncated(LABELS))
    with pytest.raises(fm.UnverifiedFileError) as info:
        fm.verify_file(path, spec)
    message = str(info.value)
    assert "truncated or corrupt" in message and str(path) in message
    assert hashlib.sha256(path.read_bytes()).hexdigest() in message  # actual
    assert spec.content_sha256 in message and spec.gzip_sha256["zalando"] in message  # expected


# --- fetching ------------------------------------------------------------------------------
def test_fetch_from_debian_folder_then_reuse(tmp_path: Path, data: fm.FashionMNIST) -> None:
    dest = tmp_path / "raw"
    # The folder comes first; the dead URL after it is never needed.
    manifest = fm.fetch_fashion_mnist(dest, folder=DEBIAN, base_urls=[_dead_url()], retries=1)

    assert read_json(dest / "manifest.json") == manifest
    assert manifest["license"] == "MIT" and "1708.07747" in manifest["citation"]
    assert [e["name"] for e in manifest["files"]] == list(FILES)
    for entry in manifest["files"]:
        assert entry["url"] == f"file://{DEBIAN}/{entry['name']}"
        assert entry["gzip"] == "debian"
        assert (dest / entry["name"]).read_bytes() == debian_bytes(entry["name"])
    assert sorted(p.name for p in dest.iterdir()) == sorted([*FILES, "manifest.json"])

    again = fm.fetch_fashion_mnist(dest, folder=None, base_urls=[_dead_url()], retries=1)
    assert [e["url"] for e in again["files"]] == [None] * 4  # present and verified: no transfer

    x_train, y_train, x_test, y_test, classes = fm.load_fashion_mnist(dest)
    assert x_train.shape == (60000, 28, 28) and x_train.dtype == np.uint8
    assert x_test.shape == (10000, 28, 28)
    assert np.bincount(y_train).tolist() == [6000] * 10
    assert np.bincount(y_test).tolist() == [1000] * 10
    assert classes == fm.CLASSES and classes[9] == "Ankle boot"
    np.testing.assert_array_equal(x_train, data.x_train)


def test_bad_source_falls_through_to_the_next(tmp_path: Path) -> None:
    bad = _folder(tmp_path / "bad", {LABELS: corrupt_content(LABELS)})
    dest = tmp_path / "raw"
    sources = [bad.as_uri() + "/", (tmp_path / "missing").as_uri() + "/", DEBIAN.as_uri() + "/"]

    entry = fm.fetch_file(SPECS[LABELS], dest, sources, retries=2)

    assert entry["url"] == DEBIAN.as_uri() + "/" + LABELS and entry["gzip"] == "debian"
    assert sorted(p.name for p in dest.iterdir()) == [LABELS]  # no temporary file left


@pytest.mark.parametrize("fault", ["corrupt", "truncated"])
def test_refused_file_never_reaches_its_name(tmp_path: Path, fault: str) -> None:
    blob = corrupt_content(LABELS) if fault == "corrupt" else truncated(LABELS)
    source = _folder(tmp_path / "mirror", {LABELS: blob})
    dest = tmp_path / "raw"

    with pytest.raises(fm.FetchError) as info:
        fm.fetch_file(SPECS[LABELS], dest, [source.as_uri() + "/"], retries=3)

    message = str(info.value)
    assert f"{source.as_uri()}/{LABELS}" in message and SPECS[LABELS].content_sha256 in message
    assert str((dest / LABELS).resolve()) in message  # where to place it by hand
    assert "apt-get install dataset-fashion-mnist" in message
    assert list(dest.iterdir()) == []  # pooch's temporary file is gone too


def test_present_file_that_changed_is_set_aside_and_fetched_again(tmp_path: Path) -> None:
    dest = _folder(tmp_path / "raw", {LABELS: corrupt_content(LABELS)})
    entry = fm.fetch_file(SPECS[LABELS], dest, [DEBIAN.as_uri() + "/"])
    assert entry["url"] is not None and entry["gzip"] == "debian"
    assert (dest / LABELS).read_bytes() == debian_bytes(LABELS)
    assert (dest / f"{LABELS}.rejected").read_bytes() == corrupt_content(LABELS)


def test_http_source_through_pooch_retries_a_short_body(
    tmp_path: Path, server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    zalando = zalando_gzip(LABELS)
    server.serve(f"/fm/{LABELS}", ("truncate", zalando), ("ok", zalando))
    dest = tmp_path / "raw"

    with caplog.at_level("INFO"):
        entry = fm.fetch_file(SPECS[LABELS], dest, [f"{server.url}/fm/"], retries=2, timeout=5)

    assert server.requests[f"/fm/{LABELS}"] == 2  # the short body was retried once
    assert "Will attempt the download again 1 more time" in caplog.text  # pooch, in our log
    assert entry["url"] == f"{server.url}/fm/{LABELS}" and entry["gzip"] == "zalando"
    assert (dest / LABELS).read_bytes() == zalando
    assert sorted(p.name for p in dest.iterdir()) == [LABELS]


def test_http_source_serving_wrong_bytes_is_asked_once(tmp_path: Path, server: Server) -> None:
    server.serve(f"/fm/{LABELS}", ("ok", corrupt_content(LABELS)))
    dest = tmp_path / "raw"
    with pytest.raises(fm.FetchError, match="decompressed content has SHA-256"):
        fm.fetch_file(SPECS[LABELS], dest, [f"{server.url}/fm/"], retries=3, timeout=5)
    assert server.requests[f"/fm/{LABELS}"] == 1  # the same server would send the same bytes
    assert list(dest.iterdir()) == []


def test_unreachable_sources_say_what_to_do(tmp_path: Path) -> None:
    url = _dead_url()
    start = time.monotonic()
    with pytest.raises(fm.FetchError) as info:
        fm.fetch_fashion_mnist(tmp_path / "raw", folder=tmp_path / "none", base_urls=[url])
    message = str(info.value)
    assert url + FILES[0] in message and "ConnectionError" in message
    assert "place the file by hand" in message and "dataset-fashion-mnist" in message
    assert 2 < time.monotonic() - start < 10  # three attempts, pooch waits 1 s then 2 s
    assert not (tmp_path / "raw/manifest.json").exists()


def test_source_urls_skip_a_missing_folder(tmp_path: Path) -> None:
    assert fm.source_urls(DEBIAN) == [DEBIAN.as_uri() + "/", *fm.ZALANDO_BASE_URLS]
    assert fm.source_urls(tmp_path / "none", ["file:///m"]) == ["file:///m/"]
    assert fm.source_urls(None) == list(fm.ZALANDO_BASE_URLS)


# --- reading -------------------------------------------------------------------------------
def test_load_refuses_a_file_changed_after_verification(tmp_path: Path) -> None:
    dest = tmp_path / "raw"
    fm.fetch_fashion_mnist(dest, folder=DEBIAN, retries=1)
    (dest / LABELS).write_bytes(corrupt_content(LABELS))
    with pytest.raises(fm.IdxFormatError, match="changed after it was verified") as info:
        fm.load_fashion_mnist(dest)
    assert str(dest / LABELS) in str(info.value) and "manifest.json" in str(info.value)


def test_parse_idx_rejects_bad_magic_and_truncation() -> None:
    with pytest.raises(fm.IdxFormatError, match="bad magic"):
        fm.parse_idx(b"\x12\x34\x08\x01" + (3).to_bytes(4, "big") + b"abc", "x.idx")
    with pytest.raises(fm.IdxFormatError, match="truncated"):
        fm.parse_idx(b"\x00\x00\x08\x01" + (10).to_bytes(4, "big") + b"abc", "x.idx")
    labels = fm.parse_idx(gzip.decompress(debian_bytes("t10k-labels-idx1-ubyte.gz")), "t10k")
    assert labels.shape == (10000,) and labels[:5].tolist() == [9, 2, 1, 1, 6]


def test_processed_split_matches_the_load_split_contract(
    tmp_path: Path, data: fm.FashionMNIST
) -> None:
    fm.process_fashion_mnist(DEBIAN, tmp_path / "fm.npz", val_size=0.1, seed=101)
    split = load_split(tmp_path / "fm.npz")

    assert split.task == "classification" and len(split.feature_names) == 784
    assert split.X_train.dtype == np.float32 and split.X_train.shape == (54000, 784)
    assert split.X_val.shape == (6000, 784) and split.y_train.dtype == np.int64
    assert split.X_train.min() == 0.0 and split.X_train.max() == 1.0
    assert np.bincount(split.y_val).tolist() == [600] * 10  # stratified
    np.testing.assert_array_equal(split.X_test, data.x_test.reshape(-1, 784) / np.float32(255))
    np.testing.assert_array_equal(split.y_test, data.y_test)


# --- the course's splits -------------------------------------------------------------------
def test_course_splits_are_the_courses(data: fm.FashionMNIST) -> None:
    full = fm.course_split(data, "course_model")  # 25-6 a: all 60 000, /255, no validation
    assert full.x_train.shape == (60000, 28, 28) and full.x_val is None and full.y_val is None
    np.testing.assert_array_equal(full.x_train, (data.x_train / 255).astype(np.float32))
    assert full.x_test.shape == (10000, 28, 28) and full.y_test.dtype == np.int64

    for demo, n_val, divisions in (("overfitting", 600, 2), ("batchnorm", 18000, 1)):
        split = fm.course_split(data, demo)
        test_size = fm.COURSE_DATA[demo].test_size
        # The course's own lines: x / 255 (twice in 25-6 b), then train_test_split.
        x = data.x_train / 255
        if divisions == 2:
            x = x / 255
        x_train, x_val, y_train, y_val = train_test_split(
            x, data.y_train, test_size=test_size, random_state=101
        )
        assert split.x_val.shape == (n_val, 28, 28) and len(split.y_train) == 60000 - n_val
        np.testing.assert_array_equal(split.x_train, x_train.astype(np.float32))
        np.testing.assert_array_equal(split.x_val, x_val.astype(np.float32))
        np.testing.assert_array_equal(split.y_train, y_train)
        np.testing.assert_array_equal(split.y_val, y_val)
        assert split.x_train.dtype == np.float32 and split.y_train.dtype == np.int64
        assert float(split.x_train.max()) == pytest.approx(255 / 255**divisions)
    with pytest.raises(ValueError, match="unknown course demo 'nope'"):
        fm.course_split(data, "nope")


def test_raw_folder_copy_keeps_no_stray_files(tmp_path: Path) -> None:
    # A folder source with an extra file: only the four named files are taken.
    source = tmp_path / "src"
    shutil.copytree(DEBIAN, source)
    (source / "README").write_text("not data")
    manifest = fm.fetch_fashion_mnist(tmp_path / "raw", folder=source, retries=1)
    assert {e["gzip"] for e in manifest["files"]} == {"debian"}
    assert sorted(p.name for p in (tmp_path / "raw").iterdir()) == sorted([*FILES, "manifest.json"])


# --- the course's demos: the port, the comparison, the archive ----------------------------
ARCHIVE = REPO / "archive" / "course"
CAPPED_CONFIGS = ("config/course.yaml", "archive/course/capped.yaml")


def _config(*files: str) -> dict:
    """config/config.yaml with ``files`` merged over it, as ``--configfile`` does."""
    from snakemake.utils import update_config

    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    for name in files:
        update_config(config, yaml.safe_load((REPO / name).read_text()))
    return config


def test_port_builds_the_courses_layers_with_the_courses_data() -> None:
    """Layer order, pixel scaling and the baselines of every demo, against the course's list."""
    import torch
    from test_keras_reference import COURSE_LAYERS

    from regularization_report.nn import fashion_course as fc

    course = _config("config/course.yaml")["fashion_mnist"]["course"]
    runs = fc.course_runs(course)
    # Every run of the course's code is there (baselines included), and only the
    # corrected versions of its mistakes are added.
    assert set(COURSE_LAYERS) <= set(runs)
    assert {v for d, v in set(runs) - set(COURSE_LAYERS)} == {
        "no_dropout_scaled_once",
        "dropout_scaled_once",
    }
    for demo, variant in runs:
        spec = fc.course_spec(course, demo, variant)
        model = fc.course_network(spec["model"])
        expected = COURSE_LAYERS[(demo, variant.removesuffix("_scaled_once"))]
        assert fc.describe_layers(model) == expected, (demo, variant)
        assert model(torch.zeros(3, 28, 28)).shape == (3, 10)
        # 25-6 b divided the pixels by 255 twice; its corrected variants and the others once.
        twice = demo == "overfitting" and not variant.endswith("_scaled_once")
        assert spec["pixel_divisions"] == (2 if twice else 1), (demo, variant)
        assert spec["pixel_divisions"] == (
            fm.COURSE_DATA[demo].pixel_divisions if not variant.endswith("_scaled_once") else 1
        )
        assert spec["seeds"] == [0, 1, 2, 3, 4]  # five seeds at the course's settings
        assert spec["train"]["adam_eps"] == 1e-7
    # Batch norm after the ReLU: the module after the ReLU is the BatchNorm1d.
    bn = fc.course_network(fc.course_spec(course, "batchnorm", "batch_norm")["model"])
    kinds = [type(m).__name__ for m in bn]
    assert kinds == ["Flatten", "Linear", "ReLU", "BatchNorm1d", "Linear"]


def test_port_data_are_the_reference_data(data: fm.FashionMNIST) -> None:
    """The port and the Keras reference train on the same rows, scaled the same way."""
    from regularization_report.nn import fashion_course as fc

    course = _config()["fashion_mnist"]["course"]
    for demo, variant in (("overfitting", "dropout"), ("batchnorm", "plain")):
        tensors = fc.course_data(DEBIAN, fc.course_spec(course, demo, variant))
        split = fm.course_split(data, demo)
        np.testing.assert_array_equal(tensors.X_train.numpy(), split.x_train.reshape(-1, 784))
        np.testing.assert_array_equal(tensors.y_val.numpy(), split.y_val)
    assert float(tensors.X_train.max()) == 1.0  # 25-7: divided once


def _runs(source: str, demo: str, variant: str, metric: str, values: list[float]) -> list[dict]:
    return [
        {"source": source, "demo": demo, "variant": variant, "seed": i, metric: v}
        for i, v in enumerate(values)
    ]


def test_comparison_says_where_port_and_reference_disagree() -> None:
    import pandas as pd

    from regularization_report.nn import fashion_course as fc

    rows = [
        *_runs("keras", "batchnorm", "plain", "final_val_acc", [0.860, 0.866, 0.870]),
        *_runs("port", "batchnorm", "plain", "final_val_acc", [0.862, 0.867, 0.869]),
        *_runs("keras", "batchnorm", "batch_norm", "final_val_acc", [0.875, 0.878, 0.880]),
        *_runs("port", "batchnorm", "batch_norm", "final_val_acc", [0.851, 0.853, 0.855]),
    ]
    table = fc.comparison_table(pd.DataFrame(rows, columns=fc.COMPARISON_RUN_COLUMNS))
    printed = table[table["kind"] == "printed"]
    assert len(printed) == len(fc.COURSE_PRINTOUT) == 17
    assert set(table.loc[table["kind"] == "corrected", "variant"]) >= {
        "no_dropout_scaled_once",
        "dropout_scaled_once",
    }
    plain = table[(table["variant"] == "plain") & (table["metric"] == "final_val_acc")].iloc[0]
    assert plain["port_within_keras"] and not plain["disagree"]
    assert plain["keras_n"] == 3 and plain["keras_min"] == 0.860 and plain["keras_max"] == 0.870
    assert plain["keras_low"] < plain["keras_mean"] < plain["keras_high"]
    assert plain["course"] == "0.867 to 0.868" and plain["course_within_keras"]
    bn = table[(table["variant"] == "batch_norm") & (table["metric"] == "final_val_acc")].iloc[0]
    assert not bn["port_within_keras"] and bn["disagree"]  # ranges apart
    assert bn["course_within_keras"]  # 0.878 to 0.879 lies in 0.875..0.880
    count = table[(table["variant"] == "dropout") & (table["demo"] == "course_model")]
    assert (count["keras_n"] == 0).all() and not count["disagree"].any()  # nothing to compare
    values = fc.comparison_values(table, {"course_max_epochs": None}, source="live")
    assert values["demos"]["batchnorm"]["val_acc_within"] == {"plain": True, "batch_norm": False}
    assert values["n_disagree"] == 1 and values["capped"] is False


def test_archive_provenance_matches_its_config() -> None:
    """Each committed archive carries the config it ran, and that is the profile's config."""
    import pandas as pd

    from regularization_report.nn import fashion_course as fc

    archives = {ARCHIVE: ("config/course.yaml",), ARCHIVE / "capped": CAPPED_CONFIGS}
    present = {k: v for k, v in archives.items() if (k / "provenance.json").exists()}
    assert ARCHIVE / "capped" in present  # the capped reference is always committed
    for folder, configs in present.items():
        provenance = read_json(folder / "provenance.json")
        fashion = _config(*configs)["fashion_mnist"]
        recorded = provenance["config"]
        assert recorded == {k: fashion[k] for k in ("course", "keras_reference")}, folder
        assert provenance["config_hash"] == fc.config_hash(recorded) == fc.config_hash(fashion)
        assert provenance["course_seeds"] == fashion["course"]["seeds"]
        assert provenance["keras_seeds"] == fashion["keras_reference"]["seeds"]
        assert provenance["commit"] and len(provenance["commit"]) == 40
        assert provenance["versions"]["keras"] and provenance["versions"]["torch"]
        runs = pd.read_csv(folder / "runs.csv")
        assert list(runs.columns) == fc.COMPARISON_RUN_COLUMNS
        port = runs[runs["source"] == "port"]
        assert len(port) == len(fc.course_runs(fashion["course"])) * len(fashion["course"]["seeds"])
        assert port["epochs"].max() == (fashion["course"]["max_epochs"] or 200)
        table = pd.read_csv(folder / "comparison.csv")
        assert len(table) == len(fc.COURSE_PRINTOUT) + len(fc.CORRECTED)


def test_capped_rerun_reproduces_the_capped_reference(tmp_path: Path) -> None:
    """The course profile, capped to one seed and one epoch, on the real data through
    Snakemake: the same config on this machine gives the archived numbers exactly."""
    import pandas as pd
    from conftest import copy_repo, run_snakemake

    workdir = copy_repo(tmp_path / "wf")
    target = "results/fashion_mnist/comparison/runs.csv"
    configs = ("--configfile", *CAPPED_CONFIGS)
    run_snakemake(workdir, target, "--cores", "2", *configs)
    rerun = pd.read_csv(workdir / target)
    reference = pd.read_csv(ARCHIVE / "capped" / "runs.csv")
    pd.testing.assert_frame_equal(rerun, reference, check_exact=True)
    fresh = read_json(workdir / "results/fashion_mnist/comparison/provenance.json")
    archived = read_json(ARCHIVE / "capped" / "provenance.json")
    assert fresh["config_hash"] == archived["config_hash"]
    table = pd.read_csv(workdir / "results/fashion_mnist/comparison/comparison.csv")
    assert (table.loc[table["kind"] == "printed", "keras_n"] == 1).all()
