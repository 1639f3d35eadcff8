"""Download stage, offline: a local HTTP server on 127.0.0.1 stands in for the dataset hosts.

The server supports Range requests and can misbehave on demand (drop the connection mid-body,
ignore Range, serve an HTML page), so resume, restart and verification paths all run for real.
"""
from __future__ import annotations

import hashlib
import io
import logging
import re
import tarfile
import threading
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from robustpose._registry import Registry
from robustpose.data import download as dl
from robustpose.data import sources
from robustpose.data.download import DownloadError, ManualDownloadRequired, download, extract, fetch
from robustpose.data.sources import DatasetSource, RemoteFile, resolve_url

SOURCES_YAML = Path(__file__).resolve().parents[1].parent / "shared" / "SOURCES.yaml"
FAST = dict(progress=False, timeout=5, backoff=0.0)


# --------------------------------------------------------------------------------------------
# A tiny HTTP server
# --------------------------------------------------------------------------------------------
@dataclass
class FakeHost:
    """State and switches of the local server; tests flip the switches."""

    files: dict[str, bytes] = field(default_factory=dict)
    content_types: dict[str, str] = field(default_factory=dict)
    drop_after: int | None = None      # first request only: send this many body bytes, then close
    ignore_range: bool = False         # answer 200 with the whole body even when asked for a range
    requests: list[tuple[str, str | None]] = field(default_factory=list)  # (path, Range header)
    base: str = ""

    def url(self, name: str) -> str:
        return f"{self.base}/{name}"

    @property
    def count(self) -> int:
        return len(self.requests)


def _handler(host: FakeHost, lock: threading.Lock) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # keep pytest output clean
            pass

        def do_GET(self) -> None:
            rng = self.headers.get("Range")
            with lock:
                first = not host.requests
                host.requests.append((self.path, rng))
            name = self.path.lstrip("/")
            if name not in host.files:
                self.send_error(404)
                return
            data = host.files[name]
            start = 0
            if rng and not host.ignore_range:
                start = int(re.fullmatch(r"bytes=(\d+)-", rng).group(1))
                if start >= len(data):
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(data)}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            else:
                self.send_response(200)
            body = data[start:]
            self.send_header("Content-Type", host.content_types.get(name, "application/octet-stream"))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if first and host.drop_after is not None:
                self.wfile.write(body[: host.drop_after])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(body)

    return Handler


@pytest.fixture
def host():
    state = FakeHost()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state, threading.Lock()))
    server.daemon_threads = True
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def _payload(n: int = 50_000, seed: int = 0) -> bytes:
    # Incompressible-ish, position-dependent bytes: a misplaced or repeated block changes them.
    out = bytearray()
    counter = 0
    while len(out) < n:
        out += hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        counter += 1
    return bytes(out[:n])


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------------------------
# download
# --------------------------------------------------------------------------------------------
def test_full_download_is_verified_and_second_call_is_offline(host, tmp_path):
    data = _payload()
    host.files["a.bin"] = data
    dest = tmp_path / "dl" / "a.bin"
    assert download(host.url("a.bin"), dest, _sha(data), len(data), chunk=4096, **FAST) == dest
    assert dest.read_bytes() == data
    assert not dl.part_path(dest).exists()
    assert not dl.sidecar_path(dest).exists()  # a pinned sha256 needs no sidecar
    assert host.count == 1
    download(host.url("a.bin"), dest, _sha(data), len(data), **FAST)
    assert host.count == 1, "a verified file must not be fetched again"


def test_interrupted_download_resumes_with_range(host, tmp_path):
    data = _payload(40_000)
    host.files["b.bin"] = data
    host.drop_after = 12_345
    dest = tmp_path / "b.bin"
    download(host.url("b.bin"), dest, _sha(data), len(data), chunk=1000, **FAST)
    assert dest.read_bytes() == data
    assert [r for _, r in host.requests] == [None, "bytes=12345-"]
    assert not dl.part_path(dest).exists()


def test_part_left_by_a_killed_run_is_resumed(host, tmp_path):
    data = _payload(30_000, seed=1)
    host.files["c.bin"] = data
    dest = tmp_path / "c.bin"
    dl.part_path(dest).write_bytes(data[:7000])
    download(host.url("c.bin"), dest, _sha(data), None, **FAST)  # size unknown: Content-Length
    assert dest.read_bytes() == data
    assert host.requests == [("/c.bin", "bytes=7000-")]


def test_complete_part_is_verified_after_416(host, tmp_path):
    data = _payload(9_000, seed=7)
    host.files["k.bin"] = data
    dest = tmp_path / "k.bin"
    dl.part_path(dest).write_bytes(data)  # killed after the last byte, before the rename
    download(host.url("k.bin"), dest, _sha(data), None, **FAST)
    assert dest.read_bytes() == data and host.requests == [("/k.bin", "bytes=9000-")]


def test_server_ignoring_range_restarts_from_zero(host, tmp_path):
    data = _payload(20_000, seed=2)
    host.files["d.bin"] = data
    host.ignore_range = True
    dest = tmp_path / "d.bin"
    # Wrong bytes in the .part: appending after them, or keeping them, would corrupt the file.
    dl.part_path(dest).write_bytes(b"\xff" * 5000)
    download(host.url("d.bin"), dest, _sha(data), len(data), **FAST)
    assert dest.read_bytes() == data
    assert host.requests == [("/d.bin", "bytes=5000-")]


def test_wrong_sha256_discards_the_download(host, tmp_path):
    data = _payload(10_000, seed=3)
    host.files["e.bin"] = data
    dest = tmp_path / "e.bin"
    with pytest.raises(ValueError) as info:
        download(host.url("e.bin"), dest, "0" * 64, None, **FAST)
    msg = str(info.value)
    assert "\n" not in msg
    assert msg.startswith(f"{dest}: sha256 mismatch (expected {'0' * 64}, got {_sha(data)})")
    assert "discarded" in msg and str(dl.rejected_path(dest)) in msg
    assert not dest.exists() and not dl.part_path(dest).exists()
    assert dl.rejected_path(dest).read_bytes() == data   # kept aside for inspection


def test_wrong_size_and_md5_are_refused(host, tmp_path):
    data = _payload(10_000, seed=4)
    host.files["f.bin"] = data
    dest = tmp_path / "f.bin"
    # the announced Content-Length already disagrees: refused before a byte is written, no retry
    with pytest.raises(ValueError, match=r"size mismatch \(expected 9999 bytes, .*f.bin announces 10000\)"):
        download(host.url("f.bin"), dest, None, 9999, **FAST)
    assert host.count == 1 and not dl.part_path(dest).exists()
    with pytest.raises(ValueError, match="md5 mismatch"):
        download(host.url("f.bin"), dest, None, len(data), md5="0" * 32, **FAST)
    assert not dest.exists() and not dl.part_path(dest).exists()
    download(host.url("f.bin"), dest, None, len(data), md5=hashlib.md5(data).hexdigest(), **FAST)
    assert dest.read_bytes() == data


def test_unpinned_file_warns_and_writes_sidecar(host, tmp_path, caplog):
    data = _payload(5_000, seed=5)
    host.files["g.json"] = data
    dest = tmp_path / "g.json"
    with caplog.at_level(logging.WARNING, logger=dl.__name__):
        download(host.url("g.json"), dest, None, **FAST)
    assert "cannot be verified" in caplog.text
    assert dl.sidecar_path(dest).read_text().split() == [_sha(data), "g.json"]
    # Second call: verified against the sidecar, no request.
    download(host.url("g.json"), dest, None, **FAST)
    assert host.count == 1
    # A file that no longer matches its sidecar is fetched again.
    dest.write_bytes(b"tampered")
    download(host.url("g.json"), dest, None, **FAST)
    assert dest.read_bytes() == data and host.count == 2


def test_existing_file_with_wrong_digest_is_downloaded_again(host, tmp_path):
    data = _payload(8_000, seed=6)
    host.files["h.bin"] = data
    dest = tmp_path / "h.bin"
    dest.write_bytes(b"x" * len(data))
    download(host.url("h.bin"), dest, _sha(data), len(data), **FAST)
    assert dest.read_bytes() == data and host.count == 1


def test_html_page_is_refused_and_http_errors_name_the_file(host, tmp_path):
    host.files["big.zip"] = b"<html>Google Drive can't scan this file for viruses</html>"
    host.content_types["big.zip"] = "text/html; charset=utf-8"
    dest = tmp_path / "big.zip"
    with pytest.raises(DownloadError, match="HTML page") as info:
        download(host.url("big.zip"), dest, None, **FAST)
    assert "\n" not in str(info.value) and str(dest) in str(info.value)
    assert not dest.exists()
    with pytest.raises(DownloadError, match="HTTP 404"):
        download(host.url("missing.zip"), tmp_path / "missing.zip", None, **FAST)


def test_gives_up_after_retries_and_keeps_the_part(tmp_path):
    dest = tmp_path / "x.bin"
    # Port 9 on 127.0.0.1: nothing listens, the connection is refused at once.
    with pytest.raises(DownloadError, match="failed 3 times in a row"):
        download("http://127.0.0.1:9/x.bin", dest, None, retries=2, **FAST)
    assert not dest.exists()


# --------------------------------------------------------------------------------------------
# extract
# --------------------------------------------------------------------------------------------
def _zip(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return path


def _tar(path: Path, entries: list[tarfile.TarInfo | tuple[str, bytes]], mode: str = "w:gz") -> Path:
    with tarfile.open(path, mode) as tf:
        for entry in entries:
            if isinstance(entry, tarfile.TarInfo):
                tf.addfile(entry)
            else:
                info = tarfile.TarInfo(entry[0])
                info.size = len(entry[1])
                tf.addfile(info, io.BytesIO(entry[1]))
    return path


def _link(name: str, kind: bytes, target: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info


@pytest.mark.parametrize("kind, name, reason", [
    ("zip", "../evil.txt", "escapes the target"),
    ("zip", "/abs/evil.txt", "absolute path"),
    ("zip", "ok/..\\..\\evil.txt", "escapes the target"),
    ("tar", "../evil.txt", "escapes the target"),
    ("tar", "/etc/evil", "absolute path"),
    ("tar", "symlink", "symbolic link"),
    ("tar", "hardlink", "hard link"),
    ("tar", "device", "device"),
])
def test_unsafe_members_are_refused(tmp_path, kind, name, reason):
    target = tmp_path / "out"
    if kind == "zip":
        archive = _zip(tmp_path / "bad.zip", {"good.txt": b"fine", name: b"evil"})
        member = name
    else:
        special = {"symlink": _link("link", tarfile.SYMTYPE, "/etc/passwd"),
                   "hardlink": _link("hard", tarfile.LNKTYPE, "good.txt"),
                   "device": _link("dev", tarfile.CHRTYPE)}
        entry = special.get(name, (name, b"evil"))
        member = entry.name if isinstance(entry, tarfile.TarInfo) else name
        archive = _tar(tmp_path / "bad.tar.gz", [("good.txt", b"fine"), entry])
    with pytest.raises(ValueError) as info:
        extract(archive, target)
    msg = str(info.value)
    assert "\n" not in msg
    assert msg.startswith(f"{archive}: refusing member {member!r}: ") and reason in msg
    # Nothing was placed: not the good member read before the bad one, not a marker, no temp dir.
    assert sorted(p.name for p in target.iterdir()) == []
    assert not (tmp_path / "evil.txt").exists()


def test_good_zip_extracts_requested_members_once(tmp_path, monkeypatch):
    archive = _zip(tmp_path / "ann.zip", {
        "annotations/person_keypoints_val2017.json": b"{}",
        "annotations/instances_val2017.json": b"{}",
        "val2017/000000000139.jpg": b"jpg1",
        "val2017/000000000285.jpg": b"jpg2",
        "val2017/": b"",
    })
    target = tmp_path / "coco"
    got = extract(archive, target, ["val2017/*.jpg", "annotations/person_keypoints_*.json"])
    rel = sorted(p.relative_to(target).as_posix() for p in got)
    assert rel == ["annotations/person_keypoints_val2017.json",
                   "val2017/000000000139.jpg", "val2017/000000000285.jpg"]
    assert not (target / "annotations" / "instances_val2017.json").exists()
    assert (target / "val2017" / "000000000285.jpg").read_bytes() == b"jpg2"
    marker = dl.marker_path(archive, target)
    assert marker.exists()
    assert not list(target.glob(".extract-*"))

    def boom(*args, **kwargs):
        raise AssertionError("the archive was opened again")

    monkeypatch.setattr(dl.zipfile, "ZipFile", boom)
    assert extract(archive, target, ["val2017/*.jpg", "annotations/person_keypoints_*.json"]) == got


def test_good_tar_gz_extracts_requested_members(tmp_path):
    archive = _tar(tmp_path / "mpii.tar.gz", [
        ("images/001.jpg", b"a"), ("images/002.jpg", b"b"), ("README", b"r"),
    ])
    target = tmp_path / "mpii"
    got = extract(archive, target, ["images/*.jpg"])
    assert sorted(p.relative_to(target).as_posix() for p in got) == ["images/001.jpg", "images/002.jpg"]
    assert not (target / "README").exists()
    assert extract(archive, target, ["images/*.jpg"]) == got
    # A different selection is a different extraction.
    assert len(extract(archive, target)) == 3


def test_glob_matching_nothing_is_an_error(tmp_path):
    archive = _zip(tmp_path / "a.zip", {"x/y.txt": b"1"})
    with pytest.raises(ValueError, match=r"no member matches 'val2017/\*\.jpg'"):
        extract(archive, tmp_path / "out", ["val2017/*.jpg"])
    assert not dl.marker_path(archive, tmp_path / "out").exists()


def test_not_an_archive(tmp_path):
    fake = tmp_path / "page.zip"
    fake.write_bytes(b"<html>sign in</html>")
    with pytest.raises(ValueError, match="not a zip or tar archive"):
        extract(fake, tmp_path / "out")


# --------------------------------------------------------------------------------------------
# sources: mirrors and registry
# --------------------------------------------------------------------------------------------
def test_resolve_url_precedence(monkeypatch):
    f = RemoteFile(name="val2017.zip", url="http://registry.example/val2017.zip", sha256=None,
                   bytes=None, md5=None, members=(), status="UNVERIFIED")
    monkeypatch.delenv("ROBUSTPOSE_MIRROR_COCO", raising=False)
    assert resolve_url(f, "coco") == "http://registry.example/val2017.zip"
    monkeypatch.setenv("ROBUSTPOSE_MIRROR_COCO", "https://mirror.example/coco/")
    assert resolve_url(f, "coco") == "https://mirror.example/coco/val2017.zip"
    assert resolve_url(f, "coco", {"other.zip": "http://x/y"}) == "https://mirror.example/coco/val2017.zip"
    assert resolve_url(f, "coco", {"val2017.zip": "https://override.example/v.zip"}) \
        == "https://override.example/v.zip"
    with pytest.raises(ValueError, match="must start with http"):
        resolve_url(f, "coco", {"val2017.zip": "ftp://x/v.zip"})


def test_unknown_source_lists_valid_names():
    with pytest.raises(KeyError, match="valid: .*coco"):
        sources.source("cocoo")


@pytest.fixture
def fake_registry(monkeypatch):
    """A copy of the sources registry that a test may add entries to."""
    registry = Registry(sources._REGISTRY.kind)
    for name, src in sources._REGISTRY.items():
        registry.register(name, src)
    monkeypatch.setattr(sources, "_REGISTRY", registry)
    return registry


def test_fetch_downloads_and_extracts(host, tmp_path, fake_registry, monkeypatch):
    zdata = io.BytesIO()
    with zipfile.ZipFile(zdata, "w") as zf:
        zf.writestr("images/1.jpg", b"one")
        zf.writestr("images/2.jpg", b"two")
        zf.writestr("junk/skip.txt", b"no")
    host.files["imgs.zip"] = zdata.getvalue()
    host.files["ann.json"] = b'{"images": []}'
    fake_registry.register("fakeset", DatasetSource(
        name="fakeset", homepage="http://example", licence_note="test data",
        files=(
            RemoteFile("imgs.zip", host.url("imgs.zip"), _sha(host.files["imgs.zip"]),
                       len(host.files["imgs.zip"]), None, ("images/*.jpg",), "verified"),
            # The registry URL is dead; the alternate serves the pinned content.
            RemoteFile("ann.json", host.url("dead/ann.json"), _sha(host.files["ann.json"]), None,
                       None, (), "third_party", alt_urls=(host.url("ann.json"),)),
        )))
    monkeypatch.delenv("ROBUSTPOSE_MIRROR_FAKESET", raising=False)
    out = fetch("fakeset", tmp_path, **FAST)
    base = tmp_path / "fakeset"
    assert out == {"imgs.zip": base, "ann.json": base / "downloads" / "ann.json"}
    assert (base / "images" / "1.jpg").read_bytes() == b"one"
    assert (base / "images" / "2.jpg").read_bytes() == b"two"
    assert not (base / "junk").exists()
    assert (base / "downloads" / "imgs.zip").exists()
    n = host.count
    assert fetch("fakeset", tmp_path, **FAST) == out
    assert host.count == n, "a second fetch must not touch the network"


def test_fetch_mirror_env_is_used(host, tmp_path, fake_registry, monkeypatch):
    host.files["mirror/a.json"] = b"[1]"
    fake_registry.register("fakemirror", DatasetSource(
        name="fakemirror", homepage="http://example", licence_note="test",
        files=(RemoteFile("a.json", "http://127.0.0.1:9/never", _sha(b"[1]"), 3, None, (), "verified"),)))
    monkeypatch.setenv("ROBUSTPOSE_MIRROR_FAKEMIRROR", host.url("mirror"))
    out = fetch("fakemirror", tmp_path, **FAST)
    assert out["a.json"].read_bytes() == b"[1]"
    assert host.requests == [("/mirror/a.json", None)]


def test_manual_source_without_data_explains_where_to_get_it(tmp_path):
    with pytest.raises(ManualDownloadRequired) as info:
        fetch("h36m", tmp_path / "raw")
    msg = str(info.value)
    assert "\n" not in msg
    assert "http://vision.imar.ro/human3.6m/" in msg
    assert str(tmp_path / "raw" / "h36m") in msg
    assert "s1/Videos.tgz" in msg


def test_manual_source_with_data_in_place(tmp_path):
    base = tmp_path / "h36m"
    for f in sources.source("h36m").files:
        (base / f.name).parent.mkdir(parents=True, exist_ok=True)
        (base / f.name).write_bytes(b"")
    out = fetch("h36m", tmp_path)
    assert out["s11/D3_Positions_mono.tgz"] == base / "s11" / "D3_Positions_mono.tgz"


REAL = ("coco", "coco_train", "ochuman", "mpii", "ap10k", "h36m_det2d", "humaneva_det2d")


@pytest.mark.parametrize("name", sources.list_sources())
def test_registry_entries_are_well_formed(name):
    src = sources.source(name)
    assert src.files, name
    for f in src.files:
        assert f.status in sources.STATUSES
        assert f.sha256 is None or re.fullmatch(r"[0-9a-f]{64}", f.sha256)
        assert f.md5 is None or re.fullmatch(r"[0-9a-f]{32}", f.md5)
        if not src.manual:
            assert re.match(r"https?://", f.url), f.url
            assert all(re.match(r"https?://", u) for u in f.alt_urls)
            assert "/" not in f.name  # downloads land flat in downloads/
    if src.manual:
        assert src.manual_instructions and src.homepage in src.manual_instructions


def test_registry_covers_the_paper_datasets():
    assert set(REAL) | {"h36m", "humaneva"} <= set(sources.list_sources())
    assert sources.source("h36m").manual and sources.source("humaneva").manual
    assert not any(sources.source(n).manual for n in REAL)


# --------------------------------------------------------------------------------------------
# The registry against ../shared/SOURCES.yaml
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sources_yaml() -> dict:
    if not SOURCES_YAML.is_file():
        pytest.skip(f"{SOURCES_YAML} not found (../shared is not checked out beside the repo)")
    import yaml

    return yaml.safe_load(SOURCES_YAML.read_text(encoding="utf-8"))["datasets"]


def _yaml_file(entries: list[dict], name: str) -> dict:
    """The SOURCES.yaml file entry whose name is ``name`` (names may carry a remark after it)."""
    hits = [e for e in entries if str(e["name"]).split()[0] == name]
    assert len(hits) == 1, f"{name}: {len(hits)} entries in SOURCES.yaml"
    return hits[0]


def _known(value):
    """SOURCES.yaml writes unknown facts as 'UNVERIFIED'; the registry writes None."""
    return None if value is None or str(value).startswith("UNVERIFIED") else value


def _check(reg: RemoteFile, entry: dict, url_key: str = "url") -> None:
    for key in ("sha256", "bytes", "md5"):
        assert getattr(reg, key) == _known(entry.get(key)), f"{reg.name}: {key}"
    if url_key in entry:
        assert reg.url == entry[url_key], f"{reg.name}: url"
    status = str(entry.get("status", "UNVERIFIED")).split()[0]
    if status in sources.STATUSES:
        assert reg.status == status, f"{reg.name}: status"


def test_coco_matches_sources_yaml(sources_yaml):
    coco = sources_yaml["coco2017"]
    for name in ("val2017.zip", "annotations_trainval2017.zip"):
        _check(next(f for f in sources.source("coco").files if f.name == name),
               _yaml_file(coco["files"], name))
    _check(next(f for f in sources.source("coco_train").files), _yaml_file(coco["files"], "train2017.zip"))
    det_yaml = coco["person_detections"]
    det = next(f for f in sources.source("coco").files if f.name == det_yaml["name"])
    _check(det, det_yaml, url_key="direct_url")
    assert det.alt_urls == (det_yaml["alt_mirror"].split()[0],)


def test_mpii_matches_sources_yaml(sources_yaml):
    files = sources_yaml["mpii"]["files"]
    for reg in sources.source("mpii").files:
        entry = _yaml_file(files, reg.name)
        _check(reg, entry)
    tarball = sources.source("mpii").files[0]
    assert tarball.status == "third_party" and "md5 third_party" in _yaml_file(files, tarball.name)["status"]


def test_ochuman_matches_sources_yaml(sources_yaml):
    och = sources_yaml["ochuman"]
    for reg in sources.source("ochuman").files:
        _check(reg, _yaml_file(och["files"], reg.name))
        assert reg.url in och["historical_direct_links_2019_03"]


def test_ap10k_matches_sources_yaml(sources_yaml):
    ap = sources_yaml["ap10k"]["download"]
    (reg,) = sources.source("ap10k").files
    assert reg.name == ap["archive_name"].split()[0]
    assert ap["gdrive_file_id"] in reg.url
    assert reg.sha256 is _known(ap["sha256"]) is None and reg.bytes is _known(ap["bytes"]) is None


def test_detections_and_h36m_match_sources_yaml(sources_yaml):
    h36m = sources_yaml["human36m"]
    for reg in sources.source("h36m_det2d").files:
        _check(reg, _yaml_file(h36m["detections_2d"], reg.name))
    md5 = h36m["official_archive_names_and_md5"]["md5"]
    for reg in sources.source("h36m").files:
        m = re.fullmatch(r"s(\d+)/(\w+)\.tgz", reg.name)
        if m is None:
            continue
        subject, kind = m.groups()
        yaml_name = f"Videos_S{subject}.tgz" if kind == "Videos" else f"Poses_{kind}_S{subject}.tgz"
        assert reg.md5 == md5[yaml_name], reg.name
    he = sources_yaml["humaneva_i"]["detections_2d"]
    (reg,) = sources.source("humaneva_det2d").files
    assert (reg.name, reg.url) == (he["name"], he["url"])


def test_fetch_checksum_override_pins_what_a_mirror_serves(host, tmp_path, fake_registry, monkeypatch):
    """A mirror serving other bytes (a subset) is accepted only against the sha256 the user pins."""
    published, subset = _payload(3000, seed=1), _payload(1000, seed=2)
    host.files["a.bin"] = subset
    fake_registry.register("fakeover", DatasetSource(
        name="fakeover", homepage="http://example", licence_note="test",
        files=(RemoteFile("a.bin", host.url("a.bin"), _sha(published), len(published), None, (), "verified"),)))
    monkeypatch.delenv("ROBUSTPOSE_MIRROR_FAKEOVER", raising=False)
    with pytest.raises(ValueError, match="size mismatch"):
        fetch("fakeover", tmp_path, **FAST)
    out = fetch("fakeover", tmp_path, checksums={"a.bin": _sha(subset)}, **FAST)
    assert out["a.bin"].read_bytes() == subset
    with pytest.raises(ValueError, match="sha256 must be 64"):
        fetch("fakeover", tmp_path / "x", checksums={"a.bin": "abc"}, **FAST)
    with pytest.raises(ValueError, match=r"unknown file\(s\) \['b.bin'\]"):
        fetch("fakeover", tmp_path / "y", checksums={"b.bin": _sha(subset)}, **FAST)


def test_sha256_prefix_is_checked_before_the_file_is_used(host, tmp_path):
    data = _payload(4000, seed=3)
    host.files["ckpt-0123abcd_20220101.pth"] = data
    dest = tmp_path / "m.pth"
    with pytest.raises(ValueError, match=r"sha256 mismatch \(expected 0123abcd\.\.\."):
        download(host.url("ckpt-0123abcd_20220101.pth"), dest, None, sha256_prefix="0123abcd", **FAST)
    assert not dest.exists() and dl.rejected_path(dest).read_bytes() == data
    good = download(host.url("ckpt-0123abcd_20220101.pth"), dest, None, sha256_prefix=_sha(data)[:8], **FAST)
    assert good.read_bytes() == data
    assert dl.sidecar_path(dest).read_text().split()[0] == _sha(data)   # the full digest, to pin
    n = host.count
    download(host.url("ckpt-0123abcd_20220101.pth"), dest, None, sha256_prefix=_sha(data)[:8], **FAST)
    assert host.count == n
