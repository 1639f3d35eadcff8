"""Pretrained-model registry (URLs, AP, configs) and safe mmengine checkpoint loading."""
from __future__ import annotations

import collections
import copy
import dataclasses
import functools
import hashlib
import importlib.util
import json
import os
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from robustpose.models.checkpoint import HistoryBufferData, load_mmengine_state_dict, load_pretrained
from robustpose.models.pretrained import (DATASET_KEYPOINTS, MODEL_FAMILIES, PretrainedModel, build_estimator,
                                          list_pretrained, missing_requirements, pretrained_model)

SOURCES = Path(__file__).resolve().parents[1].parent / "shared" / "SOURCES.yaml"
NAMES = list_pretrained()
# MPII entries were added after SOURCES.yaml was compiled: they are checked against the mmpose
# metafiles the installed package ships instead (test_mpii_entry_matches_mmpose_metafile).
MPII_NAMES = [n for n in NAMES if pretrained_model(n).dataset == "mpii"]
SOURCED_NAMES = [n for n in NAMES if n not in MPII_NAMES]
# mmpose's publish script: <name>-<sha256[:8]>_<YYYYMMDD>.pth; DEKR files: <name>_<sha256[:8]>-<date>.pth
FILE_HASH = re.compile(r"^.+[-_]([0-9a-f]{8})[-_](\d{8})\.pth$")


# ------------------------------------------------------------------------------------------
# Registry
def test_registry_names_unique_and_lookup():
    assert len(NAMES) == len(set(NAMES)) >= 30
    assert [pretrained_model(n).name for n in NAMES] == NAMES
    assert "hrnet_w32_256x192" in list_pretrained("hrnet_*")
    assert set(list_pretrained(family="bottomup")) == {"ae_hrnet_w32_512", "dekr_hrnet_w32_512",
                                                       "dekr_hrnet_w48_640"}
    assert set(list_pretrained("*res50*", family="topdown_regression")) == {
        "rle_res50_256x192", "rle_res50_pretrained_256x192", "deeppose_res50_256x192"}
    assert MPII_NAMES == ["mpii_res50_256x256", "mpii_hrnet_w32_256x256"]
    with pytest.raises(KeyError, match="unknown pretrained model 'hrnet_w99'.*hrnet_w32_256x192"):
        pretrained_model("hrnet_w99")
    with pytest.raises(ValueError, match="unknown family 'heatmap'"):
        list_pretrained(family="heatmap")


def test_entries_are_fresh_objects():
    a = pretrained_model("hrnet_w32_256x192")
    a.config["head"]["in_channels"] = 999
    assert pretrained_model("hrnet_w32_256x192").config["head"]["in_channels"] == 32


@pytest.mark.parametrize("name", NAMES)
def test_entry_integrity(name):
    m = pretrained_model(name)
    assert m.family in MODEL_FAMILIES
    assert m.checkpoint_url.startswith("https://download.openmmlab.com/mmpose/")
    file_name = m.checkpoint_url.rsplit("/", 1)[-1]
    match = FILE_HASH.match(file_name)
    assert match, f"{file_name} does not follow the <name>-<sha8>_<date>.pth rule"
    assert m.sha256_prefix is not None and re.fullmatch(r"[0-9a-f]{8}", m.sha256_prefix)
    assert m.sha256_prefix == match.group(1)
    assert m.published_ap is None or 0.3 < m.published_ap < 1.0  # fractions, not percentages
    assert m.dataset in DATASET_KEYPOINTS
    if m.dataset == "mpii":  # scored with PCKh, not AP
        assert m.published_ap is None and 0.5 < m.published_pckh < 1.0
    else:
        assert m.published_pckh is None
    head = m.config["head"]
    assert head.get("out_channels", head.get("num_keypoints", head.get("num_joints"))) == DATASET_KEYPOINTS[m.dataset]
    assert (m.bottomup_resize is not None) == (m.family == "bottomup")
    assert m.status and m.paper
    assert tuple(m.codec["input_size"]) == m.input_wh
    assert tuple(m.config["head"]["decoder"]["input_size"]) == m.input_wh
    assert m.config["type"] == ("BottomupPoseEstimator" if m.family == "bottomup" else "TopdownPoseEstimator")
    assert "init_cfg" not in json.dumps(m.config)  # the checkpoint replaces every weight


def test_invalid_entries_are_rejected():
    m = pretrained_model("deeppose_res50_256x192")
    with pytest.raises(ValueError, match="family must be one of"):
        dataclasses.replace(m, family="heatmap")
    with pytest.raises(ValueError, match="must be https"):
        dataclasses.replace(m, checkpoint_url="http://example.org/x.pth")
    with pytest.raises(ValueError, match="sha256_prefix must be 8"):
        dataclasses.replace(m, sha256_prefix="72EF04F3")
    with pytest.raises(ValueError, match="dataset must be one of .*'h36m'"):
        dataclasses.replace(m, dataset="h36m")
    with pytest.raises(ValueError, match="bottomup_resize must be given for a bottom-up model and only"):
        dataclasses.replace(m, bottomup_resize=dict(input_size=(512, 512)))
    with pytest.raises(ValueError, match="bottomup_resize must be given"):
        dataclasses.replace(pretrained_model("ae_hrnet_w32_512"), bottomup_resize=None)


@functools.lru_cache(maxsize=1)
def _read_sources() -> dict[str, dict]:
    import yaml

    models = yaml.safe_load(SOURCES.read_text())["models"]
    return {m["key"].replace("-", "_"): m for m in models}  # registry names use "_" only


def _sources() -> dict[str, dict]:
    if not SOURCES.is_file():
        pytest.skip(f"{SOURCES} not found (../shared is not checked out beside the repo)")
    return _read_sources()


@pytest.mark.parametrize("name", SOURCED_NAMES)
def test_entry_matches_sources_yaml(name):
    src = _sources()
    assert name in src, f"{name} is not a SOURCES.yaml model key"
    s, m = src[name], pretrained_model(name)
    assert m.checkpoint_url == s["checkpoint_url"]
    assert m.sha256_prefix == s["sha256_prefix8"]
    published = s["published"]
    assert m.published_ap == published.get("AP", published.get("AP_coco"))
    assert m.config_file == s["mmpose_config"]
    assert not s.get("checkpoint_link_wrong"), f"{name}: SOURCES.yaml says its checkpoint link is wrong"


def test_every_2d_sources_model_is_registered():
    src = _sources()
    wanted = {k for k, s in src.items()
              if (s.get("mmpose_config") or "").startswith(("configs/body_2d_keypoint", "configs/animal_2d_keypoint"))
              and not s.get("checkpoint_link_wrong")}
    assert wanted - set(NAMES) == set()


@pytest.mark.parametrize("name", MPII_NAMES)
def test_mpii_entry_matches_mmpose_metafile(name, mmpose_configs):
    """URL and PCKh equal the metafile entry (``*.yml`` beside the config) of the mirrored config."""
    import yaml

    m = pretrained_model(name)
    entries = [e for yml in sorted((mmpose_configs / m.config_file).parent.glob("*.yml"))
               for e in yaml.safe_load(yml.read_text())["Models"] if e["Config"] == m.config_file]
    assert len(entries) == 1, f"{m.config_file} is in {len(entries)} metafile entries"
    (result,) = entries[0]["Results"]
    assert result["Dataset"] == "MPII"
    assert m.checkpoint_url == entries[0]["Weights"]
    assert m.published_pckh == result["Metrics"]["Mean"]
    assert f"{m.published_pckh}" in m.status and f"{result['Metrics']['Mean@0.1']}" in m.status


def _strip_init_cfg(x):
    if isinstance(x, dict):
        return {k: _strip_init_cfg(v) for k, v in x.items() if k != "init_cfg"}
    if isinstance(x, (list, tuple)):
        return [_strip_init_cfg(v) for v in x]
    return x


@pytest.fixture(scope="module")
def mmpose_configs() -> Path:
    spec = importlib.util.find_spec("mmpose")
    root = Path(next(iter(spec.submodule_search_locations))) / ".mim" if spec else None
    if root is None or not (root / "configs").is_dir():
        pytest.skip("the installed mmpose ships no configs (.mim/configs)")
    return root


@pytest.mark.parametrize("name", NAMES)
def test_config_equals_mmpose_config_file(name, mmpose_configs):
    """The builders reproduce the model and codec sections of the config mmpose ships."""
    from mmengine.config import Config

    m = pretrained_model(name)
    ref = Config.fromfile(str(mmpose_configs / m.config_file), import_custom_modules=False)
    as_plain = lambda d: _strip_init_cfg(json.loads(json.dumps(d)))  # tuples -> lists  # noqa: E731
    assert as_plain(m.config) == as_plain(ref.model.to_dict())
    assert as_plain(m.codec) == as_plain(ref.codec.to_dict())


@pytest.mark.parametrize("name", list_pretrained(family="bottomup"))
def test_bottomup_resize_equals_mmpose_test_pipeline(name, mmpose_configs):
    from mmengine.config import Config

    m = pretrained_model(name)
    ref = Config.fromfile(str(mmpose_configs / m.config_file), import_custom_modules=False)
    (resize,) = [t for t in ref.test_dataloader.dataset.pipeline if t["type"] == "BottomupResize"]
    as_plain = lambda d: json.loads(json.dumps(d))  # tuples -> lists  # noqa: E731
    assert as_plain({k: v for k, v in resize.items() if k != "type"}) == as_plain(m.bottomup_resize)


def test_build_estimator_output_shape():
    """One real build (ResNet-50): the published SimpleBaseline maps 256x192 to 64x48 heatmaps."""
    m = pretrained_model("simplebaseline_res50_256x192")
    net = build_estimator(m).eval()
    assert sum(p.numel() for p in net.parameters()) > 30_000_000
    with torch.no_grad():
        out = net(torch.zeros(1, 3, 256, 192), data_samples=None, mode="tensor")
    w, h = m.codec["heatmap_size"]
    assert tuple(out.shape) == (1, 17, h, w) == (1, 17, 64, 48)


def test_build_estimator_names_a_missing_requirement():
    missing = [(n, missing_requirements(pretrained_model(n))) for n in NAMES]
    missing = [(n, r) for n, r in missing if r]
    if not missing:
        pytest.skip("every optional requirement (mmpretrain, mmcv-full) is installed")
    name, reqs = missing[0]
    with pytest.raises(ImportError, match=rf"{name}.*needs {re.escape(reqs[0])}"):
        build_estimator(pretrained_model(name))


# ------------------------------------------------------------------------------------------
# Checkpoint loading
class NotAllowed:
    """A class no allow-list knows: unpickling it must be refused."""

    def __init__(self) -> None:
        self.payload = 1


class RunsCode:
    """Unpickling this would run ``os.system`` (CVE-style checkpoint)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class GetattrRef:
    """Pickles as ``getattr(obj, name)``, the way HistoryBuffer's statistics methods are."""

    def __init__(self, obj, name: str) -> None:
        self.obj, self.name = obj, name

    def __reduce__(self):
        return (getattr, (self.obj, self.name))


def _state_dict() -> collections.OrderedDict:
    sd = collections.OrderedDict(w=torch.arange(6.0).view(2, 3), b=torch.ones(3))
    sd._metadata = collections.OrderedDict({"": {"version": 2}})  # as nn.Module.state_dict() sets it
    return sd


def _mmengine_checkpoint(with_message_hub: bool = True) -> dict:
    """What mmengine's Runner.save_checkpoint writes (meta from an mmpose run)."""
    meta = dict(cfg="model = dict(type='TopdownPoseEstimator')", seed=0, experiment_name="x",
                time="20240101_000000", mmengine_version="0.10.7", epoch=210, iter=1000,
                dataset_meta=dict(dataset_name="coco", num_keypoints=17, flip_indices=[0, 2, 1],
                                  sigmas=np.array([0.026, 0.025], dtype=np.float32),
                                  dataset_keypoint_weights=np.ones(2, dtype=np.float32),
                                  keypoint_colors=np.zeros((2, 3), dtype=np.uint8),
                                  keypoint_names=np.array(["nose", "left_eye"])),
                hook_msgs=dict(best_score=np.float64(0.75), best_epoch=np.int64(200), flag=np.bool_(True)))
    ckpt = {"meta": meta, "state_dict": _state_dict()}
    if with_message_hub:
        from mmengine.logging.history_buffer import HistoryBuffer

        buf = HistoryBuffer()
        buf.update(0.5)
        buf.update(0.25, 4)
        ckpt["message_hub"] = dict(log_scalars={"train/loss": buf}, runtime_info={"best_score": np.float64(0.75)},
                                   resumed_keys={"train/loss": True})
        ckpt["optimizer"] = {"state": {}, "param_groups": [{"lr": 1e-3, "params": [0, 1]}]}
    return ckpt


@pytest.mark.parametrize("zipfile", [True, False], ids=["zip", "legacy"])  # publish_model.py: legacy
def test_mmengine_checkpoint_loads(tmp_path, zipfile):
    has_mmengine = importlib.util.find_spec("mmengine") is not None
    path = tmp_path / "ckpt.pth"
    torch.save(_mmengine_checkpoint(with_message_hub=has_mmengine), path, _use_new_zipfile_serialization=zipfile)
    sd = load_mmengine_state_dict(path)
    assert list(sd) == ["w", "b"] and torch.equal(sd["w"], torch.arange(6.0).view(2, 3))
    assert sd._metadata == {"": {"version": 2}}  # mmpose's key-conversion hooks read it


def test_history_buffer_is_loaded_as_inert_data(tmp_path):
    pytest.importorskip("mmengine")
    from mmengine.logging.history_buffer import HistoryBuffer

    path = tmp_path / "ckpt.pth"
    torch.save(_mmengine_checkpoint(), path)
    before = dict(HistoryBuffer._statistics_methods)
    from robustpose.models.checkpoint import allowed_globals

    with torch.serialization.safe_globals(allowed_globals()):
        full = torch.load(path, weights_only=True)
    buf = full["message_hub"]["log_scalars"]["train/loss"]
    assert isinstance(buf, HistoryBufferData) and not isinstance(buf, HistoryBuffer)
    np.testing.assert_array_equal(buf._log_history, [0.5, 0.25])
    assert "statistics_methods" not in vars(buf)
    assert HistoryBuffer._statistics_methods == before  # nothing registered process-wide
    assert full["meta"]["dataset_meta"]["sigmas"].dtype == np.float32


def test_numpy1_written_checkpoint_loads(tmp_path):
    """Files pickled under numpy 1.x name numpy.core.multiarray.* (numpy 2: numpy._core)."""
    path = tmp_path / "np1.pth"
    torch.save(_mmengine_checkpoint(with_message_hub=False), path, _use_new_zipfile_serialization=False)
    raw = path.read_bytes()
    assert b"numpy._core.multiarray" in raw or b"numpy.core.multiarray" in raw
    path.write_bytes(raw.replace(b"numpy._core.multiarray", b"numpy.core.multiarray"))
    assert list(load_mmengine_state_dict(path)) == ["w", "b"]


def _assert_refused(path: Path, needed: str) -> None:
    with pytest.raises(ValueError) as info:
        load_mmengine_state_dict(path)
    msg = str(info.value)
    assert "\n" not in msg
    assert msg.startswith(f"{path}: checkpoint needs ") and msg.endswith("refusing to unpickle it")
    assert needed in msg


def test_custom_class_is_refused(tmp_path):
    path = tmp_path / "custom.pth"
    torch.save({"state_dict": _state_dict(), "meta": {"x": NotAllowed()}}, path)
    _assert_refused(path, f"{NotAllowed.__module__}.NotAllowed")


def test_code_execution_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pth"
    torch.save({"state_dict": _state_dict(), "meta": {"x": RunsCode(marker)}}, path)
    _assert_refused(path, "system")
    assert not marker.exists()


@pytest.mark.parametrize("target", ["ordereddict", "history_buffer"])
def test_getattr_is_restricted(tmp_path, target):
    if target == "history_buffer":
        mmengine_logging = pytest.importorskip("mmengine.logging.history_buffer")
        obj, name, shown = mmengine_logging.HistoryBuffer, "__init__", "getattr(HistoryBuffer,'__init__')"
    else:
        obj, name, shown = collections.OrderedDict, "fromkeys", "getattr(OrderedDict,'fromkeys')"
    path = tmp_path / "getattr.pth"
    torch.save({"state_dict": _state_dict(), "meta": {"x": GetattrRef(obj, name)}}, path)
    _assert_refused(path, shown)


def test_object_arrays_are_refused(tmp_path):
    path = tmp_path / "objarray.pth"
    torch.save({"state_dict": _state_dict(), "meta": {"x": np.array([None, 1], dtype=object)}}, path)
    _assert_refused(path, "ObjectDType")


def test_sha256_prefix(tmp_path):
    path = tmp_path / "ckpt.pth"
    torch.save({"state_dict": _state_dict()}, path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert list(load_mmengine_state_dict(path, sha256_prefix=digest[:8])) == ["w", "b"]
    assert list(load_mmengine_state_dict(path, sha256_prefix=digest[:8].upper())) == ["w", "b"]
    wrong = format(int(digest[:8], 16) ^ 1, "08x")
    with pytest.raises(ValueError) as info:
        load_mmengine_state_dict(path, sha256_prefix=wrong)
    assert "\n" not in str(info.value) and str(path) in str(info.value) and wrong in str(info.value)
    with pytest.raises(ValueError, match="hex"):
        load_mmengine_state_dict(path, sha256_prefix="not-hex!")


def test_module_prefix_is_stripped(tmp_path):
    sd = collections.OrderedDict((f"module.{k}", v) for k, v in _state_dict().items())
    sd._metadata = collections.OrderedDict({"module": {"version": 1}, "module.head": {"version": 2}})
    path = tmp_path / "ddp.pth"
    torch.save({"state_dict": sd}, path)
    out = load_mmengine_state_dict(path)
    assert list(out) == ["w", "b"]
    assert out._metadata == {"": {"version": 1}, "head": {"version": 2}}
    # only when every key has it
    mixed = collections.OrderedDict([("module.w", torch.ones(1)), ("b", torch.ones(1))])
    torch.save(mixed, path)
    assert list(load_mmengine_state_dict(path)) == ["module.w", "b"]


def test_bare_state_dict_and_bad_files(tmp_path):
    path = tmp_path / "bare.pth"
    torch.save(_state_dict(), path)
    assert list(load_mmengine_state_dict(path)) == ["w", "b"]
    torch.save({"meta": {"epoch": 1}}, path)
    with pytest.raises(ValueError, match="non-tensor entries"):
        load_mmengine_state_dict(path)
    torch.save([torch.ones(1)], path)
    with pytest.raises(ValueError, match="no state dict"):
        load_mmengine_state_dict(path)
    path.write_bytes(b"this is not a checkpoint")
    with pytest.raises(ValueError, match=re.escape(str(path))):
        load_mmengine_state_dict(path)


# ------------------------------------------------------------------------------------------
# load_pretrained, on a tiny variant of a registered entry (same code path, seconds to build)
@pytest.fixture(scope="module")
def tiny() -> PretrainedModel:
    base = pretrained_model("simplebaseline_res50_256x192")
    config = copy.deepcopy(base.config)
    config["backbone"] = dict(type="ResNet", depth=18, base_channels=8, stem_channels=8)
    config["head"].update(in_channels=64, deconv_out_channels=(8,), deconv_kernel_sizes=(4,))
    return dataclasses.replace(base, name="tiny_simplebaseline", config=config, sha256_prefix=None)


@pytest.fixture(scope="module")
def tiny_state(tiny) -> collections.OrderedDict:
    torch.manual_seed(0)
    return build_estimator(tiny).state_dict()


def _save(path: Path, state) -> Path:
    torch.save({"meta": {"epoch": 1, "sigmas": np.ones(2, np.float32)}, "state_dict": state}, path,
               _use_new_zipfile_serialization=False)
    return path


def test_load_pretrained_round_trip_and_sha(tmp_path, tiny, tiny_state):
    path = _save(tmp_path / "tiny.pth", tiny_state)
    net = load_pretrained(tiny, path)
    assert not net.training
    for key, value in net.state_dict().items():
        assert torch.equal(value, tiny_state[key]), key
    wrong = dataclasses.replace(tiny, sha256_prefix="00000000")
    if hashlib.sha256(path.read_bytes()).hexdigest().startswith("00000000"):
        pytest.skip("the file's sha256 happens to start with 00000000")
    with pytest.raises(ValueError, match="sha256"):
        load_pretrained(wrong, path)


def test_load_pretrained_names_missing_and_unexpected_keys(tmp_path, tiny, tiny_state):
    state = collections.OrderedDict(tiny_state)
    state.pop("head.final_layer.weight")
    state["head.extra_layer.weight"] = torch.zeros(1)
    with pytest.raises(ValueError) as info:
        load_pretrained(tiny, _save(tmp_path / "bad.pth", state))
    msg = str(info.value)
    assert "\n" not in msg and "tiny_simplebaseline" in msg
    assert "missing keys: head.final_layer.weight" in msg
    assert "unexpected keys: head.extra_layer.weight" in msg


def test_load_pretrained_names_shape_mismatch(tmp_path, tiny, tiny_state):
    state = collections.OrderedDict(tiny_state)
    state["head.final_layer.weight"] = torch.zeros(3, 3, 1, 1)
    with pytest.raises(ValueError, match=r"weights do not fit 'tiny_simplebaseline'.*head.final_layer.weight"):
        load_pretrained(tiny, _save(tmp_path / "shape.pth", state))
