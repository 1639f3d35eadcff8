"""Resumable, verified downloads and safe archive extraction for the ``prepare`` stage.

This is the only module of the package that touches the network (DESIGN.md). It is built for
multi-gigabyte files on ordinary connections:

- bytes stream into ``<dest>.part``; an interrupted transfer (dropped connection, killed stage)
  resumes with an HTTP ``Range`` request instead of starting over;
- nothing reaches ``dest`` before its size and checksum match, so a later run can trust any file
  it finds at ``dest`` (it re-hashes it anyway, which also catches on-disk corruption);
- archives unpack into a temporary directory inside the target and move into place at the end;
  a ``.extracted-<archive>.json`` marker written last is what tells a later run the tree is
  complete, and members that would escape the target (``..``, absolute paths, links, devices)
  are refused.

Only the standard library talks HTTP (urllib), so there is no extra dependency to pin.
"""
from __future__ import annotations

import dataclasses
import fnmatch
import hashlib
import http.client
import logging
import os
import re
import shutil
import stat
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Iterator, Mapping, Sequence

from tqdm import tqdm

from robustpose._io import file_digest, write_json_atomic, write_text_atomic, read_json
from robustpose.data.sources import RemoteFile, mirror_env_var, resolve_url, source

log = logging.getLogger(__name__)

USER_AGENT = "robustpose-download/0.1 (+urllib)"
ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
# HTTP statuses worth retrying: the server or a proxy is temporarily unable, not refusing.
_RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
# Errors of the transfer itself. Deliberately not bare OSError: a full disk while writing the
# .part file must stop at once, not be retried.
_TRANSIENT = (urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError)
_CONTENT_RANGE_RE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")


class DownloadError(OSError):
    """A file could not be fetched (network failure after retries, HTTP error, an HTML page).

    The ``.part`` file is kept where it can be resumed. Checksum and size mismatches are
    ValueError instead: those mean wrong content, which retrying the same URL will not fix.
    """


class ManualDownloadRequired(FileNotFoundError):
    """A licence-restricted dataset whose files the user must fetch and place by hand."""


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------
def part_path(dest: Path) -> Path:
    """Where the bytes of ``dest`` accumulate until verified."""
    return dest.with_suffix(dest.suffix + ".part")


def sidecar_path(dest: Path) -> Path:
    """``<dest>.sha256``: the digest computed for a file that had none pinned."""
    return dest.with_name(dest.name + ".sha256")


def _digests(path: Path, want_md5: bool, chunk: int = 1 << 20) -> tuple[str, str | None]:
    """sha256 (and md5 when asked) in one pass, since the files can be tens of gigabytes."""
    sha = hashlib.sha256()
    md5 = hashlib.md5(usedforsecurity=False) if want_md5 else None
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            sha.update(block)
            if md5 is not None:
                md5.update(block)
    return sha.hexdigest(), (md5.hexdigest() if md5 is not None else None)


def _read_sidecar(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="utf-8").split()
    except FileNotFoundError:
        return None
    return text[0].lower() if text and re.fullmatch(r"[0-9a-fA-F]{64}", text[0]) else None


def _is_html(content_type: str | None, dest: Path) -> bool:
    """True when a server sent a web page where a data file was expected.

    Sign-in walls, quota pages and Google Drive's "can't scan this file" confirmation all arrive
    as ``text/html`` with status 200; saving one under ``val2017.zip`` would only fail later.
    """
    return bool(content_type) and content_type.split(";")[0].strip().lower() == "text/html" \
        and dest.suffix.lower() not in (".html", ".htm")


def _existing_is_valid(dest: Path, sha256: str | None, size: int | None, md5: str | None,
                       sha256_prefix: str | None = None) -> bool:
    """Whether a file already at ``dest`` may be used without downloading again."""
    if sha256_prefix is not None and not file_digest(dest).startswith(sha256_prefix):
        log.warning("%s: sha256 does not start with the expected %s; downloading again", dest, sha256_prefix)
        return False
    if size is not None and dest.stat().st_size != size:
        log.warning("%s: size %d differs from the expected %d; downloading again",
                    dest, dest.stat().st_size, size)
        return False
    expected = sha256 or _read_sidecar(sidecar_path(dest))
    if expected is None and md5 is None:
        # Put there by the user (e.g. saved by browser from a host that refuses scripts):
        # nothing to check it against, so accept it and pin what we found.
        digest = file_digest(dest)
        log.warning("%s: no checksum is known; using the file as found (sha256 %s, written to %s)",
                    dest, digest, sidecar_path(dest))
        write_text_atomic(sidecar_path(dest), f"{digest}  {dest.name}\n")
        return True
    got_sha, got_md5 = _digests(dest, want_md5=md5 is not None)
    if expected is not None and got_sha != expected:
        log.warning("%s: sha256 %s differs from the expected %s; downloading again", dest, got_sha, expected)
        return False
    if md5 is not None and got_md5 != md5:
        log.warning("%s: md5 %s differs from the expected %s; downloading again", dest, got_md5, md5)
        return False
    if sha256 is None and not sidecar_path(dest).exists():
        write_text_atomic(sidecar_path(dest), f"{got_sha}  {dest.name}\n")
    return True


def rejected_path(dest: Path) -> Path:
    """Where a download that failed verification is kept for inspection (never used)."""
    return dest.with_name(dest.name + ".rejected")


def _discard(part: Path, message: str) -> None:
    """Move a download that failed verification aside (a user may want to look at what the
    server sent: an error page, a truncated file) and stop with one line saying where it is."""
    dest = part.with_name(part.name[:-len(".part")]) if part.name.endswith(".part") else part
    aside = rejected_path(dest)
    if part.exists():
        os.replace(part, aside)
    raise ValueError(f"{message}; the download was discarded (kept aside as {aside}, never used)")


# --------------------------------------------------------------------------------------------
# download
# --------------------------------------------------------------------------------------------
def _announced_body(length: str | None, dest: Path, url: str, size: int | None, offset: int) -> int | None:
    """The body length a response announces (None when it does not), refused at once when the
    whole file it implies is not the expected ``size``: a changed mirror or an error body is
    named before gigabytes of it are downloaded, and nothing of it is written.

    Raises:
        ValueError: the announced size differs from ``size`` (wrong content: no retry).
    """
    body = int(length) if length and length.isdigit() else None
    if size is not None and body is not None and offset + body != size:
        raise ValueError(f"{dest}: size mismatch (expected {size} bytes, {url} announces {offset + body}); "
                         "refusing to download it")
    return body


def _transfer_once(url: str, part: Path, dest: Path, size: int | None, chunk: int, timeout: float,
                   progress: bool) -> None:
    """One HTTP request appending to ``part``, until the server has sent everything.

    Raises a transient error (retried by the caller) when the connection ends early; the bytes
    received so far stay in ``part`` for the next attempt's Range request.
    """
    offset = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    request = urllib.request.Request(url, headers=headers)
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as err:
        if err.code == 416 and offset:
            # Range not satisfiable: the .part already holds the whole file (e.g. killed after
            # the last byte, before verification). Verification decides.
            return
        if err.code in _RETRY_STATUS:
            raise
        raise DownloadError(f"{dest}: HTTP {err.code} {err.reason} from {url}") from None
    with response:
        if _is_html(response.headers.get("Content-Type"), dest):
            raise DownloadError(
                f"{dest}: {url} returned an HTML page instead of the file (a sign-in, quota or "
                f"confirmation page?); download it in a browser and save it as {dest}")
        status = response.status
        mode = "ab"
        if offset and status == 206:
            match = _CONTENT_RANGE_RE.match(response.headers.get("Content-Range", ""))
            if not match or int(match.group(1)) != offset:
                # A range other than the one asked for cannot be appended safely: start over.
                part.unlink()
                raise ConnectionError(f"unusable Content-Range "
                                      f"{response.headers.get('Content-Range')!r} for offset {offset}")
        elif status == 200:
            if offset:
                log.warning("%s: the server ignored the Range request; restarting from zero", dest)
            mode, offset = "wb", 0
        else:
            raise DownloadError(f"{dest}: unexpected HTTP status {status} from {url}")
        expected_body = _announced_body(response.headers.get("Content-Length"), dest, url, size, offset)
        total = size if size is not None else (offset + expected_body if expected_body is not None else None)
        received = 0
        with open(part, mode) as fh, tqdm(total=total, initial=offset, unit="B", unit_scale=True,
                                          unit_divisor=1024, desc=dest.name, disable=not progress,
                                          leave=False) as bar:
            while block := response.read(chunk):
                fh.write(block)
                received += len(block)
                bar.update(len(block))
        # http.client returns b"" (no exception) when a connection closes before Content-Length
        # bytes arrived, so a short body has to be detected here.
        if expected_body is not None and received < expected_body:
            raise http.client.IncompleteRead(b"", expected_body - received)


def download(url: str, dest: str | os.PathLike, sha256: str | None, size: int | None = None, *,
             md5: str | None = None, sha256_prefix: str | None = None, chunk: int = 1 << 20,
             retries: int = 3, timeout: float = 60, progress: bool = True, backoff: float = 1.0) -> Path:
    """Fetch ``url`` to ``dest``, resuming interrupted transfers and verifying before use.

    One function on purpose: resume, size check, digest and the pinned-checksum note are one
    transfer protocol, read top to bottom, and each step depends on the one before.

    Args:
        url: http(s) URL.
        dest: final path; the transfer runs in ``<dest>.part``.
        sha256: expected digest. None: the file cannot be verified; a warning is logged and the
            digest found is written to ``<dest>.sha256`` so it can be pinned in the registry.
        size: expected size in bytes, checked before the digest (cheap, and it catches a
            truncated or padded file with a clearer message).
        md5: expected md5, for files where only an md5 is published (MPII).
        sha256_prefix: the leading hex digits of the expected sha256, for files whose publisher
            puts only those in the file name (OpenMMLab checkpoints: ``<name>-<sha256[:8]>_<date>.pth``).
        chunk: bytes per read.
        retries: consecutive failed attempts allowed; an attempt that received bytes resets the
            count, so a flaky connection that makes progress finishes a long download.
        timeout: seconds for connecting and for each read.
        progress: show a tqdm progress bar.
        backoff: base seconds to wait before retry ``k`` (``backoff * 2**(k-1)``, capped at 60).

    Returns:
        ``dest``.

    Raises:
        ValueError: size or checksum mismatch (the ``.part`` is deleted: the content is wrong).
        DownloadError: HTTP error, an HTML page instead of data, or network failures after
            ``retries`` (the ``.part`` is kept; the next call resumes).
    """
    dest = Path(dest)
    sha256 = sha256.lower() if sha256 else None
    md5 = md5.lower() if md5 else None
    sha256_prefix = sha256_prefix.lower() if sha256_prefix else None
    if dest.exists() and _existing_is_valid(dest, sha256, size, md5, sha256_prefix):
        return dest
    if not url.lower().startswith(("http://", "https://")):
        raise ValueError(f"{dest}: URL {url!r} must start with http:// or https://")
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = part_path(dest)
    if size is not None and part.exists() and part.stat().st_size > size:
        log.warning("%s: %s is larger than the expected %d bytes; restarting", dest, part, size)
        part.unlink()

    failures = 0
    while True:
        before = part.stat().st_size if part.exists() else 0
        if size is not None and before == size:
            break  # complete from an earlier run; nothing left to request
        try:
            _transfer_once(url, part, dest, size, chunk, timeout, progress)
            break
        except _TRANSIENT as err:
            after = part.stat().st_size if part.exists() else 0
            failures = 1 if after > before else failures + 1
            if failures > retries:
                raise DownloadError(
                    f"{dest}: downloading {url} failed {failures} times in a row ({err!r}); "
                    f"{after} bytes kept in {part}, the next run resumes") from None
            wait = min(60.0, backoff * 2 ** (failures - 1))
            log.warning("%s: transfer interrupted at %d bytes (%r); retrying in %.1f s",
                        dest, after, err, wait)
            time.sleep(wait)

    got_size = part.stat().st_size
    if size is not None and got_size != size:
        _discard(part, f"{dest}: size mismatch (expected {size} bytes, got {got_size})")
    got_sha, got_md5 = _digests(part, want_md5=md5 is not None)
    if sha256 is not None and got_sha != sha256:
        _discard(part, f"{dest}: sha256 mismatch (expected {sha256}, got {got_sha})")
    if md5 is not None and got_md5 != md5:
        _discard(part, f"{dest}: md5 mismatch (expected {md5}, got {got_md5})")
    if sha256_prefix is not None and not got_sha.startswith(sha256_prefix):
        _discard(part, f"{dest}: sha256 mismatch (expected {sha256_prefix}..., got {got_sha})")
    if sha256 is None and sha256_prefix is not None:
        log.info("%s: sha256 %s matches the prefix %s its publisher gives", dest, got_sha, sha256_prefix)
        write_text_atomic(sidecar_path(dest), f"{got_sha}  {dest.name}\n")
    elif sha256 is None:
        log.warning("%s: no sha256 is pinned for %s, so the file cannot be verified; "
                    "found sha256 %s (written to %s)", dest, url, got_sha, sidecar_path(dest))
        write_text_atomic(sidecar_path(dest), f"{got_sha}  {dest.name}\n")
    os.replace(part, dest)
    return dest


# --------------------------------------------------------------------------------------------
# extract
# --------------------------------------------------------------------------------------------
def is_archive(name: str | os.PathLike) -> bool:
    """Whether a file name denotes an archive that :func:`fetch` unpacks."""
    return str(name).lower().endswith(ARCHIVE_SUFFIXES)


def marker_path(archive: Path, target: Path) -> Path:
    """The completion marker of ``archive`` in ``target`` (one per archive: several archives
    can share a target, e.g. COCO's images and annotations)."""
    return target / f".extracted-{archive.name}.json"


def _unsafe_reason(name: str) -> str | None:
    """Why a member name may not be written below the target, or None if it may.

    Both separators count: a zip made on Windows can name ``..\\x``.
    """
    if not name:
        return "empty name"
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return "absolute path"
    parts = re.split(r"[/\\]", name)
    if ".." in parts:
        return "path escapes the target ('..')"
    if "\x00" in name:
        return "NUL in name"
    return None


def _selected(name: str, members: Sequence[str]) -> bool:
    """Member ``name`` matches one of the globs (a glob naming a directory selects its tree)."""
    if not members:
        return True
    name = name.rstrip("/")
    return any(fnmatch.fnmatchcase(name, g) or name.startswith(g.rstrip("/") + "/") for g in members)


def _refuse(archive: Path, name: str, reason: str) -> ValueError:
    return ValueError(f"{archive}: refusing member {name!r}: {reason}")


def _zip_entries(archive: Path, zf: zipfile.ZipFile, members: Sequence[str]
                 ) -> Iterator[tuple[str, BinaryIO]]:
    """Selected regular files of a zip, each checked before it is opened."""
    for info in zf.infolist():
        if not _selected(info.filename, members):
            continue
        reason = _unsafe_reason(info.filename)
        if reason:
            raise _refuse(archive, info.filename, reason)
        mode = info.external_attr >> 16  # Unix mode bits, when a Unix tool made the zip
        if stat.S_ISLNK(mode):
            raise _refuse(archive, info.filename, "symbolic link")
        if mode and stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
            raise _refuse(archive, info.filename, "not a regular file")
        if info.is_dir():
            continue
        with zf.open(info) as fh:
            yield info.filename, fh


def _tar_entries(archive: Path, tf: tarfile.TarFile, members: Sequence[str]
                 ) -> Iterator[tuple[str, BinaryIO]]:
    """Selected regular files of a tar, in stream order (one pass over a .tar.gz)."""
    for info in tf:
        if not _selected(info.name, members):
            continue
        reason = _unsafe_reason(info.name)
        if reason:
            raise _refuse(archive, info.name, reason)
        if info.issym():
            raise _refuse(archive, info.name, f"symbolic link (to {info.linkname!r})")
        if info.islnk():
            raise _refuse(archive, info.name, f"hard link (to {info.linkname!r})")
        if info.isdir():
            continue
        if not info.isreg():
            raise _refuse(archive, info.name, "device, FIFO or other special file")
        fh = tf.extractfile(info)
        assert fh is not None  # regular members always have a file object
        with fh:
            yield info.name, fh


def extract(archive: str | os.PathLike, target: str | os.PathLike, members: Sequence[str] = ()
            ) -> list[Path]:
    """Unpack the regular files of ``archive`` (zip or tar, optionally compressed) into ``target``.

    One function on purpose: every safety check must run on every member before anything is
    moved into place; split up, a caller could skip one.

    Everything is written to a temporary directory inside ``target`` first and moved into place
    only after the whole archive was read and checked, so an unsafe member found late, or a
    killed process, leaves no partial tree. A marker with the archive's sha256 is written last;
    a later call with the same archive and globs returns the recorded files without unpacking.

    Args:
        archive: ``.zip``, ``.tar``, ``.tar.gz``/``.tgz``, ``.tar.bz2``, ``.tar.xz``.
        target: directory that receives the member paths.
        members: glob patterns (``fnmatch``, ``*`` also crosses ``/``) of members to extract;
            empty = all. Only selected members are checked and written; the rest are never
            touched.

    Returns:
        Sorted paths of the extracted files.

    Raises:
        ValueError: a selected member is absolute, contains ``..``, is a link, a device or
            another special file; a glob matches no member; the file is not an archive.
    """
    archive, target = Path(archive), Path(target)
    members = tuple(members)
    target.mkdir(parents=True, exist_ok=True)
    digest = file_digest(archive)
    marker = marker_path(archive, target)
    if marker.exists():
        try:
            done = read_json(marker)
        except ValueError:
            done = {}
        files = [target / p for p in done.get("files", [])]
        if (done.get("sha256") == digest and tuple(done.get("members", ())) == members
                and all(f.is_file() for f in files)):
            return files
        marker.unlink()  # a different archive or selection: the old tree is no longer vouched for

    # Temp dirs of killed runs are never trusted; remove them before starting.
    prefix = f".extract-{archive.name}-"
    for stale in target.glob(prefix + "*"):
        shutil.rmtree(stale, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=target))
    written: list[str] = []
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                written = _copy_entries(archive, _zip_entries(archive, zf, members), tmp)
        elif tarfile.is_tarfile(archive):
            # Stream mode reads a .tar.gz once, front to back; random access would re-inflate it.
            with tarfile.open(archive, mode="r|*") as tf:
                written = _copy_entries(archive, _tar_entries(archive, tf, members), tmp)
        else:
            raise ValueError(f"{archive}: not a zip or tar archive")
        for glob in members:
            if not any(_selected(n, (glob,)) for n in written):
                raise ValueError(f"{archive}: no member matches {glob!r}")
        for rel in written:
            dst = target / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp / rel, dst)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    written = sorted(set(written))
    write_json_atomic(marker, {"archive": archive.name, "sha256": digest,
                               "members": list(members), "files": written})
    return [target / rel for rel in written]


def _copy_entries(archive: Path, entries: Iterator[tuple[str, BinaryIO]], tmp: Path) -> list[str]:
    """Write each (name, stream) below ``tmp``; returns the normalised relative names."""
    names = []
    for name, fh in entries:
        rel = PurePosixPath(*[p for p in re.split(r"[/\\]", name) if p not in ("", ".")]).as_posix()
        out = tmp / rel
        # Last line of defence behind _unsafe_reason: the resolved path must stay inside tmp.
        if not out.resolve().is_relative_to(tmp.resolve()):
            raise _refuse(archive, name, "path escapes the target")
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(out, "wb") as dst:
            shutil.copyfileobj(fh, dst, 1 << 20)
        names.append(rel)
    return names


# --------------------------------------------------------------------------------------------
# fetch
# --------------------------------------------------------------------------------------------
def _candidate_urls(file: RemoteFile, dataset: str, overrides: Mapping[str, str] | None) -> list[str]:
    """URLs to try in order. Alternates only back the registry URL, and only when a sha256
    guarantees that whatever they serve is the same file."""
    url = resolve_url(file, dataset, dict(overrides) if overrides else None)
    user_chosen = bool(overrides and file.name in overrides) or bool(os.environ.get(mirror_env_var(dataset)))
    if user_chosen or file.sha256 is None:
        return [url]
    return [url, *file.alt_urls]


def fetch(dataset: str, root: str | os.PathLike, overrides: Mapping[str, str] | None = None, *,
          checksums: Mapping[str, str] | None = None, progress: bool = True,
          **download_kwargs) -> dict[str, Path]:
    """Download and unpack every file of a registered dataset below ``root/<dataset>/``.

    Long mostly for its arguments; the body is one loop over a dataset's files.

    Downloads go to ``root/<dataset>/downloads/``; archives are extracted into
    ``root/<dataset>/`` (only their registered member globs). Re-running is cheap: verified files
    and completed extractions are recognised and skipped.

    Args:
        dataset: a name from :func:`robustpose.data.sources.list_sources`.
        root: directory holding one subdirectory per dataset (e.g. ``data/raw``).
        overrides: ``{file name: URL}`` from params, winning over mirrors and the registry.
        checksums: ``{file name: sha256}`` from params, for a mirror that serves other bytes than
            the published file (a subset, a re-packed archive): it replaces the registry's
            sha256, and the registry's size and md5, which describe the published file, are not
            checked. The file is still verified, against the digest the user pinned.
        progress: show progress bars.
        **download_kwargs: passed to :func:`download` (``retries``, ``timeout``, ``chunk``, ...).

    Returns:
        ``{file name: path}``: the extraction directory for archives, the downloaded file
        otherwise. For a manual source: the files the user placed.

    Raises:
        KeyError: unknown dataset.
        ManualDownloadRequired: a manual source whose files are not all in place; the message
            says where to get them and where to put them.
        DownloadError, ValueError: see :func:`download` and :func:`extract`.
    """
    src = source(dataset)
    base = Path(root) / src.name
    if src.manual:
        missing = [f.name for f in src.files if not (base / f.name).is_file()]
        if missing:
            shown = ", ".join(missing[:4]) + (f" (+{len(missing) - 4} more)" if len(missing) > 4 else "")
            raise ManualDownloadRequired(
                f"{src.name}: cannot be downloaded by a script ({src.licence_note}). "
                f"{src.manual_instructions} Put them under {base}/ (missing: {shown})")
        return {f.name: base / f.name for f in src.files}

    unknown = sorted(set(checksums or {}) - {f.name for f in src.files})
    if unknown:
        raise ValueError(f"{src.name}: checksum given for unknown file(s) {unknown}; files: "
                         f"{[f.name for f in src.files]}")
    out: dict[str, Path] = {}
    for file in src.files:
        if checksums and file.name in checksums:
            file = dataclasses.replace(file, sha256=str(checksums[file.name]).lower(), bytes=None, md5=None,
                                       alt_urls=())
        dest = base / "downloads" / file.name
        urls = _candidate_urls(file, src.name, overrides)
        for i, url in enumerate(urls):
            try:
                download(url, dest, file.sha256, file.bytes, md5=file.md5, progress=progress,
                         **download_kwargs)
                break
            except DownloadError as err:
                if i + 1 < len(urls):
                    log.warning("%s; trying %s", err, urls[i + 1])
                    continue
                raise DownloadError(
                    f"{err} -- or set {mirror_env_var(src.name)} to a mirror, or a params "
                    f"override for {file.name} (homepage: {src.homepage})") from None
        out[file.name] = base if is_archive(file.name) else dest
        if is_archive(file.name):
            extract(dest, base, file.members)
    return out


__all__ = [
    "DownloadError", "ManualDownloadRequired", "download", "extract", "fetch", "is_archive",
    "part_path", "sidecar_path", "marker_path", "rejected_path",
]
