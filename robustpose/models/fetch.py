"""Download a published mmpose checkpoint: the model half of the paper scale's only network step.

Verification: a sha256 pinned by the user (params) wins; otherwise the 8-hex sha256 prefix that
OpenMMLab puts in every checkpoint's file name (``PretrainedModel.sha256_prefix``) is checked
before the file is used, and the full digest found is written beside it so it can be pinned.
Mirrors never need code edits: a per-model URL (params) or ``ROBUSTPOSE_MIRROR_CHECKPOINTS``
(a base URL; the published file name is appended).
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from urllib.parse import quote, urlsplit

from robustpose.data.download import download
from robustpose.models.pretrained import PretrainedModel

log = logging.getLogger(__name__)

MIRROR_ENV = "ROBUSTPOSE_MIRROR_CHECKPOINTS"


def published_file_name(model: PretrainedModel) -> str:
    """The checkpoint's file name on download.openmmlab.com (what a mirror serves it as)."""
    return Path(urlsplit(model.checkpoint_url).path).name


def checkpoint_url(model: PretrainedModel, override: str | None = None) -> str:
    """Where to download ``model`` from: ``override`` > ``$ROBUSTPOSE_MIRROR_CHECKPOINTS`` > registry."""
    if override:
        url = override
    elif os.environ.get(MIRROR_ENV):
        url = os.environ[MIRROR_ENV].rstrip("/") + "/" + quote(published_file_name(model))
    else:
        url = model.checkpoint_url
    if not url.lower().startswith(("http://", "https://")):
        raise ValueError(f"checkpoint URL for {model.name!r} must start with http:// or https://, got {url!r}")
    return url


def fetch_checkpoint(model: PretrainedModel, dest: str | os.PathLike, url: str | None = None,
                     sha256: str | None = None, progress: bool = True, **download_kwargs) -> Path:
    """Download ``model``'s checkpoint to ``dest`` (resumable, verified before it is used).

    Args:
        url: a mirror URL for this file (else the environment mirror, else the registry).
        sha256: the full digest of what the mirror serves; when given it replaces the file-name
            prefix check (a mirror may serve a re-saved file).

    Raises:
        ValueError: the digest does not match (the file is kept aside as ``<dest>.rejected``).
        DownloadError: the transfer failed (a partial file is kept and resumed next time).
    """
    source = checkpoint_url(model, url)
    prefix = None if sha256 else model.sha256_prefix
    if sha256 is None and prefix is None:
        log.warning("%s: no checksum is published for %s; the file cannot be verified", dest, model.name)
    log.info("fetch %s from %s -> %s", model.name, source, dest)
    return download(source, dest, sha256.lower() if sha256 else None, md5=None, sha256_prefix=prefix,
                    progress=progress, **download_kwargs)


__all__ = ["MIRROR_ENV", "checkpoint_url", "fetch_checkpoint", "published_file_name"]
