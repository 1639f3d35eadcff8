"""Where the paper-scale datasets come from: URLs, sizes, checksums and licence notes.

Every value here is transcribed from the publishers' own files (named in each entry's comment);
nothing was downloaded and hashed by this project. Each file keeps a verification ``status``, so
a reader can tell a checksum confirmed by two independent publishers from one seen in a single
third-party script:

- ``verified``: read in a named source file and, for sizes/hashes, matched by >= 2 sources;
- ``third_party``: only seen in third-party repositories/scripts;
- ``UNVERIFIED``: no checksum (or no reliable URL) found anywhere; the download stage then writes
  ``<file>.sha256`` next to the download so the value can be pinned here after a first fetch.

Users never edit URLs in code: a dead or slow host is replaced through :func:`resolve_url`
(an explicit override from params, or the ``ROBUSTPOSE_MIRROR_<DATASET>`` environment variable).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from urllib.parse import quote

from robustpose._registry import Registry

STATUSES = ("verified", "third_party", "UNVERIFIED")
MIRROR_ENV_PREFIX = "ROBUSTPOSE_MIRROR_"

_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_MD5_RE = re.compile(r"^[0-9a-f]{32}$")
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")  # must also be valid inside an environment variable


@dataclass(frozen=True)
class RemoteFile:
    """One file of a dataset as published.

    Attributes:
        name: file name on disk (for manual sources a path relative to the dataset directory).
        url: where to download it (for manual sources: the page where it can be requested).
        sha256: lower-case hex digest, or None where no public source gives one.
        bytes: exact size in bytes, or None when unknown.
        md5: lower-case hex digest where only an md5 is published, else None.
        members: glob patterns of the archive members we need; empty = the whole archive.
        status: how well the facts above are confirmed (one of :data:`STATUSES`).
        alt_urls: other hosts serving the same file. Tried only when the registry URL fails
            and a sha256 is pinned, so a third-party mirror can never substitute other content.
    """

    name: str
    url: str
    sha256: str | None
    bytes: int | None
    md5: str | None
    members: tuple[str, ...]
    status: str
    alt_urls: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Checks at definition time: a typo in a checksum would otherwise surface only after a
        # multi-gigabyte download, as a "mismatch" that looks like a corrupted transfer.
        if self.status not in STATUSES:
            raise ValueError(f"{self.name}: status {self.status!r} is not one of {STATUSES}")
        if self.sha256 is not None and not _SHA256_RE.match(self.sha256):
            raise ValueError(f"{self.name}: sha256 must be 64 lower-case hex digits, got {self.sha256!r}")
        if self.md5 is not None and not _MD5_RE.match(self.md5):
            raise ValueError(f"{self.name}: md5 must be 32 lower-case hex digits, got {self.md5!r}")
        if self.bytes is not None and self.bytes <= 0:
            raise ValueError(f"{self.name}: bytes must be positive, got {self.bytes}")
        if isinstance(self.members, str) or isinstance(self.alt_urls, str):
            raise TypeError(f"{self.name}: members and alt_urls must be tuples of strings")


@dataclass(frozen=True)
class DatasetSource:
    """A dataset: its files, where it is documented, and whether a script may fetch it.

    ``manual`` marks licence-restricted sets (registration, EULA, session cookies) that no script
    may download: the user fetches the files and puts them under ``<root>/<name>/``, and
    ``manual_instructions`` says how.
    """

    name: str
    files: tuple[RemoteFile, ...]
    homepage: str
    licence_note: str
    manual: bool = False
    manual_instructions: str = ""
    notes: str = ""  # caveats a user should read before trusting the files (split versions, layout)

    def __post_init__(self) -> None:
        if not _NAME_RE.match(self.name):
            raise ValueError(f"dataset name {self.name!r} must be snake_case ([a-z][a-z0-9_]*)")
        if self.manual and not self.manual_instructions:
            raise ValueError(f"{self.name}: a manual source needs manual_instructions")
        names = [f.name for f in self.files]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.name}: duplicate file names in {names}")


# --------------------------------------------------------------------------------------------
# The registry. Each comment names the publisher files a value was read from.
# --------------------------------------------------------------------------------------------
_REGISTRY: Registry[DatasetSource] = Registry("dataset source")


def _register(src: DatasetSource) -> DatasetSource:
    """Add ``src`` under its name; a duplicate name is an error (KeyError), never a silent overwrite."""
    return _REGISTRY.register(src.name, src)


_COCO_LICENCE = ("annotations CC BY 4.0; images under Flickr terms (per cocodataset.org terms of "
                 "use; page not fetched)")

# Source list, datasets.coco2017: val2017.zip, annotations_trainval2017.zip, person_detections.
_register(DatasetSource(
    name="coco",
    homepage="https://cocodataset.org/#download",
    licence_note=_COCO_LICENCE,
    files=(
        RemoteFile(
            name="val2017.zip",
            url="http://images.cocodataset.org/zips/val2017.zip",
            sha256="4f7e2ccb2866ec5041993c9cf2a952bbed69647b115d0f74da7ce8f4bef82f05",
            bytes=815585330,
            md5="442b8da7639aecaf257c1dceb8ba8c80",
            members=("val2017/*.jpg",),
            status="verified",
        ),
        RemoteFile(
            name="annotations_trainval2017.zip",
            url="http://images.cocodataset.org/annotations/annotations_trainval2017.zip",
            sha256="113a836d90195ee1f884e704da6304dfaaecff1f023f49b6ca93c4aaae470268",
            bytes=252907541,
            md5="f4bbac642086de4f52a3fdda2de5fa2c",
            # train keypoints are needed by AdvMix / training; instances_* and captions_* are not
            members=("annotations/person_keypoints_val2017.json",
                     "annotations/person_keypoints_train2017.json"),
            status="verified",
        ),
        RemoteFile(
            # HRNet authors' person detections (human AP 56.4) used by every top-down paper row.
            # url = the listed direct_url (Google Drive; the OneDrive copy answers 403 to
            # scripts). The Hugging Face copy is third-party; it is only tried as a fallback
            # because the sha256 pins the content (a ~250 KB dummy copy circulates).
            name="COCO_val2017_detections_AP_H_56_person.json",
            url="https://drive.google.com/uc?id=1ygw57X-mh0QBfENB-U5DsuSauGIu-8RB",
            sha256="53ba0ad8d0fd461c5a000cd90797fa8c39cd8c38cd125125c0412626ff592d59",
            bytes=16383781,
            md5="d5289281a44400280199b9ebda263743",
            members=(),
            status="third_party",
            alt_urls=("https://huggingface.co/datasets/msdkhairi/coco2017/resolve/main/"
                      "COCO_val2017_detections_AP_H_56_person.json",),
        ),
    ),
    notes=("mmpose layout: data/coco/{annotations,person_detection_results,val2017}; the "
           "detections json stays in downloads/ and is copied by the prepare step."),
))

# Source list, datasets.coco2017 train2017.zip: 19 GB, needed only for AdvMix / training, so it
# is a separate source that the pipeline fetches only when it trains on COCO.
_register(DatasetSource(
    name="coco_train",
    homepage="https://cocodataset.org/#download",
    licence_note=_COCO_LICENCE,
    files=(
        RemoteFile(
            name="train2017.zip",
            url="http://images.cocodataset.org/zips/train2017.zip",
            sha256="69a8bb58ea5f8f99d24875f21416de2e9ded3178e903f1f7603e283b9e06d929",
            bytes=19336861798,
            md5="cced6f7f71b7629ddf16f17bbcfab6b2",
            members=("train2017/*.jpg",),
            status="verified",
        ),
    ),
))

# Source list, datasets.ochuman. The official route is a web form; the only direct URLs are the
# 2019-03 links that were removed from the OCHumanApi README (whether they still work:
# UNVERIFIED). No size or hash is published anywhere.
_OCHUMAN_BASE = "https://cg.cs.tsinghua.edu.cn/people/~lrl/OCHuman/"
_register(DatasetSource(
    name="ochuman",
    homepage="https://github.com/liruilong940607/OCHumanApi",
    licence_note="UNVERIFIED (no licence statement found)",
    files=(
        RemoteFile(name="images.zip", url=_OCHUMAN_BASE + "images.zip", sha256=None, bytes=None,
                   md5=None, members=(), status="UNVERIFIED"),
        RemoteFile(name="ochuman_coco_format_val_range_0.00_1.00.json",
                   url=_OCHUMAN_BASE + "ochuman_coco_format_val_range_0.00_1.00.json",
                   sha256=None, bytes=None, md5=None, members=(), status="UNVERIFIED"),
        RemoteFile(name="ochuman_coco_format_test_range_0.00_1.00.json",
                   url=_OCHUMAN_BASE + "ochuman_coco_format_test_range_0.00_1.00.json",
                   sha256=None, bytes=None, md5=None, members=(), status="UNVERIFIED"),
    ),
    notes=("The val/test json were re-issued on 2019-06-14 to match the paper's split; copies "
           "from the 2019-03 direct links may be the pre-fix split. If in doubt, get images and "
           "annotations through the official form "
           "https://cg.cs.tsinghua.edu.cn/dataset/form.html?dataset=ochuman and put them in "
           "downloads/ (or serve them via ROBUSTPOSE_MIRROR_OCHUMAN). "
           "mmpose layout: data/ochuman/annotations/*.json, data/ochuman/images/*.jpg"),
))

# Source list, datasets.mpii. The images tarball has only a third-party md5 (no sha256, no exact
# size); mmpose's converted annotations have no checksum at all.
_register(DatasetSource(
    name="mpii",
    homepage="http://human-pose.mpi-inf.mpg.de/",
    licence_note="UNVERIFIED (the official site states it; not fetched)",
    files=(
        RemoteFile(
            name="mpii_human_pose_v1.tar.gz",
            url="https://datasets.d2.mpi-inf.mpg.de/andriluka14cvpr/mpii_human_pose_v1.tar.gz",
            sha256=None,
            bytes=None,  # ~12.9 GB; exact bytes UNVERIFIED
            md5="b6bc9c6869d3f035a5570b2e68ec84c4",
            members=("images/*.jpg",),
            status="third_party",
        ),
        RemoteFile(
            name="mpii_annotations.tar",
            url="https://download.openmmlab.com/mmpose/datasets/mpii_annotations.tar",
            sha256=None, bytes=None, md5=None, members=(), status="UNVERIFIED",
        ),
    ),
    notes=("mpii_annotations.tar (mpii_{train,val,trainval,test}.json, mpii_gt_val.mat) seems to "
           "unpack at the top level, not into annotations/ (UNVERIFIED); mmpose expects "
           "data/mpii/annotations/ and data/mpii/images/."),
))

# Source list, datasets.ap10k. Only a Google Drive file id (and a Baidu Pan link) is published.
# The url below is the Drive direct-download form of that id (the same form the source list gives
# for the COCO detections). Drive answers large files with an HTML confirmation page, which the
# download refuses with instructions; the user then saves the file by browser.
_register(DatasetSource(
    name="ap10k",
    homepage="https://github.com/AlexTheBad/AP-10K",
    licence_note=("CONFLICT: the official README says CC-BY-4.0; the mmpose doc says "
                  "non-commercial use only"),
    files=(
        RemoteFile(
            name="ap-10k.zip",
            url="https://drive.google.com/uc?id=1-FNNGcdtAQRehYYkGY1y4wzFNg4iWNad",
            sha256=None, bytes=None, md5=None, members=(), status="UNVERIFIED",
        ),
    ),
    notes=("Browser link: https://drive.google.com/file/d/1-FNNGcdtAQRehYYkGY1y4wzFNg4iWNad/view "
           "(Baidu Pan: https://pan.baidu.com/s/1tBGHjHIjDBV9Wcwy_Y2pkw, code 6uz6). The zip "
           "unpacks to ap-10k/ (README: unzip ap-10k.zip -d data/; mv data/ap-10k data/ap10k); "
           "mmpose layout: data/ap10k/annotations/ap10k-{train,val,test}-split{1,2,3}.json, "
           "data/ap10k/data/*.jpg"),
))

# Source list, datasets.human36m.detections_2d: CPN detections that the VideoPose3D/MotionBERT
# lifters read (mmpose's .npy re-format). Downloadable, unlike the videos themselves.
_H36M_DET_BASE = "https://download.openmmlab.com/mmpose/body3d/videopose/"
_register(DatasetSource(
    name="h36m_det2d",
    homepage="https://github.com/open-mmlab/mmpose",
    licence_note="derived from Human3.6M; its EULA applies (http://vision.imar.ro/human3.6m/eula.php)",
    files=tuple(
        RemoteFile(name=n, url=_H36M_DET_BASE + n, sha256=None, bytes=None, md5=None, members=(),
                   status="UNVERIFIED")
        for n in ("cpn_ft_h36m_dbb_train.npy", "cpn_ft_h36m_dbb_test.npy")
    ),
    notes="mmpose reads them from data/h36m/joint_2d_det_files/.",
))

# Source list, datasets.human36m: registration + manual approval, files served behind a session
# cookie; no anonymous URL exists. The layout is what mmpose's preprocess_h36m.py reads
# (--original <dir> with s1/Videos.tgz ...; --metadata metadata.xml).
# md5: anibali/h36m-fetch checksums.txt @ 507e7334 (third-party; h36m-fetch names the same
# archives <Kind>_S<n>.tgz). The source list calls them advisory (an older list differed for
# Videos_S11.tgz), so they are recorded, not enforced.
_H36M_MD5 = {
    ("S1", "D2_Positions"): "69e038858ace96ba5f6c5ccea52e95e8",
    ("S1", "D3_Positions_mono"): "4c844740ba583517c74b6c496c190761",
    ("S1", "Videos"): "d517e6c0b1112427b2a39fcbd732281c",
    ("S5", "D2_Positions"): "7ac8c4830468a1ed3464076ee9603632",
    ("S5", "D3_Positions_mono"): "4e14165ed00b7aff1111a81c1ca4b7b3",
    ("S5", "Videos"): "02ef041813c3a37b137f86df24419e5a",
    ("S6", "D2_Positions"): "5f9706d5259f648cca802c069dec9681",
    ("S6", "D3_Positions_mono"): "9681696b33a0d487493330e825b408d6",
    ("S6", "Videos"): "a4b8690e5320c5854f99f60bf31cbabc",
    ("S7", "D2_Positions"): "543c4053c962db54d1d7361d4accffb4",
    ("S7", "D3_Positions_mono"): "807109c1a304ce67c6f0cc06a94846fc",
    ("S7", "Videos"): "79caf93c6ec31b1c14cd1d31d5f292e0",
    ("S8", "D2_Positions"): "e9de190d782452edc954ac191907adcf",
    ("S8", "D3_Positions_mono"): "da8b6c948e7dcd280061cd4d99d7352f",
    ("S8", "Videos"): "18818148e68fcd80fce1efa82f98126d",
    ("S9", "D2_Positions"): "232c2244afae96cb900908c6825d478c",
    ("S9", "D3_Positions_mono"): "0fad285a69fdcdf4958cc4c80d93abbc",
    ("S9", "Videos"): "3e7d923d5c573ac833334a31b5f8a797",
    ("S11", "D2_Positions"): "df1fde6b5656729336f54dcd79ab6e47",
    ("S11", "D3_Positions_mono"): "944a8bca62a933f5d630a835868fba23",
    ("S11", "Videos"): "25c25250be8f75d7991dcbf74bb9d339",
}
H36M_SUBJECTS = ("S1", "S5", "S6", "S7", "S8", "S9", "S11")  # train S1,S5-S8; test S9,S11
_H36M_HOME = "http://vision.imar.ro/human3.6m/"

_register(DatasetSource(
    name="h36m",
    homepage=_H36M_HOME,
    licence_note=("registration at vision.imar.ro plus manual approval; EULA "
                  "http://vision.imar.ro/human3.6m/eula.php; no anonymous URL exists"),
    manual=True,
    files=tuple(
        RemoteFile(name=f"{s.lower()}/{kind}.tgz", url=_H36M_HOME, sha256=None, bytes=None,
                   md5=_H36M_MD5[(s, kind)], members=(), status="third_party")
        for s in H36M_SUBJECTS for kind in ("Videos", "D2_Positions", "D3_Positions_mono")
    ) + (
        RemoteFile(name="metadata.xml", url=_H36M_HOME, sha256=None, bytes=None, md5=None,
                   members=(), status="UNVERIFIED"),
    ),
    manual_instructions=(
        "Register at http://vision.imar.ro/human3.6m/ and wait for approval; download, for "
        "subjects S1 S5 S6 S7 S8 S9 S11, the Videos, D2_Positions and D3_Positions_mono archives "
        "and save each as s<n>/<Kind>.tgz (lower-case subject directory, e.g. s1/Videos.tgz); "
        "take metadata.xml from the 'Visualisation and large scale prediction software' bundle."
    ),
    notes=("mmpose preprocess: tools/dataset_converters/preprocess_h36m.py --metadata metadata.xml "
           "--original <dir> --sample-rate 1 (the default 5 writes fps10 only; the lifter configs "
           "read annotation_body3d/fps50/)."),
))

# Source list, datasets.humaneva_i: manual; registration terms UNVERIFIED. The file names below
# are the two archives VideoPose3D's conversion needs besides the dataset itself.
_HUMANEVA_HOME = "http://humaneva.is.tue.mpg.de/datasets_human_1"
_register(DatasetSource(
    name="humaneva",
    homepage=_HUMANEVA_HOME,
    licence_note="registration/licence terms UNVERIFIED (official page not checked)",
    manual=True,
    files=tuple(
        RemoteFile(name=n, url=_HUMANEVA_HOME, sha256=None, bytes=None, md5=None, members=(),
                   status="UNVERIFIED")
        for n in ("Release_Code_v1_1_beta.zip", "Critical_Update_OFS_files.zip")
    ),
    manual_instructions=(
        "Download HumanEva-I from http://humaneva.is.tue.mpg.de/datasets_human_1 (the dataset, "
        "plus 'source code v1.1 beta' Release_Code_v1_1_beta.zip and "
        "Critical_Update_OFS_files.zip); converting it for VideoPose3D needs MATLAB "
        "(ConvertHumanEva.m). Put the two zips and the dataset files in one directory."
    ),
    notes="mmpose has no HumanEva support; VideoPose3D's DATASETS.md describes the conversion.",
))

# Source list, datasets.humaneva_i.detections_2d (VideoPose3D's Detectron detections).
_register(DatasetSource(
    name="humaneva_det2d",
    homepage="https://github.com/facebookresearch/VideoPose3D",
    licence_note="derived from HumanEva-I; its terms apply (UNVERIFIED)",
    files=(
        RemoteFile(
            name="data_2d_humaneva15_detectron_pt_coco.npz",
            url="https://dl.fbaipublicfiles.com/video-pose-3d/data_2d_humaneva15_detectron_pt_coco.npz",
            sha256=None, bytes=None, md5=None, members=(), status="UNVERIFIED",
        ),
    ),
))


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------
def list_sources(pattern: str = "*") -> list[str]:
    """Names of registered dataset sources (sorted), optionally filtered by a glob pattern."""
    return sorted(_REGISTRY.names(pattern))


def source(name: str) -> DatasetSource:
    """The registered source called ``name``.

    Raises:
        KeyError: unknown name; the message lists the valid ones.
    """
    return _REGISTRY.get(name)


def mirror_env_var(dataset: str) -> str:
    """Name of the environment variable holding a mirror base URL for ``dataset``."""
    return MIRROR_ENV_PREFIX + dataset.upper()


def resolve_url(file: RemoteFile, dataset: str, overrides: dict[str, str] | None = None) -> str:
    """The URL to download ``file`` from, so users redirect downloads without editing code.

    Precedence: ``overrides[file.name]`` (a full URL, from params) > the environment variable
    ``ROBUSTPOSE_MIRROR_<DATASET>`` (a base URL; the file name is appended) > ``file.url``.

    Raises:
        ValueError: the chosen URL is not http(s) (the downloader resumes with HTTP Range
            requests; for a local copy, put the file into the downloads directory instead).
    """
    if overrides and file.name in overrides:
        url, origin = str(overrides[file.name]), f"override for {file.name}"
    elif os.environ.get(mirror_env_var(dataset)):
        base = os.environ[mirror_env_var(dataset)]
        url = base.rstrip("/") + "/" + quote(file.name, safe="/")
        origin = f"${mirror_env_var(dataset)}"
    else:
        url, origin = file.url, f"registry entry {dataset}/{file.name}"
    if not url.lower().startswith(("http://", "https://")):
        raise ValueError(f"{origin}: URL {url!r} must start with http:// or https://")
    return url


__all__ = [
    "STATUSES", "MIRROR_ENV_PREFIX", "H36M_SUBJECTS", "RemoteFile", "DatasetSource",
    "list_sources", "source", "mirror_env_var", "resolve_url",
]
