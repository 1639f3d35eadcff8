"""Loading mmengine / mmcv checkpoints with ``torch.load(weights_only=True)``.

A checkpoint is data, never code: we keep torch's restricted unpickler and allow, for the
duration of one ``torch.load`` call only, the few non-tensor types that mmengine checkpoints
carry besides the weights. What they carry (mmengine 0.10 ``Runner.save_checkpoint``; mmpose's
``tools/misc/publish_model.py`` keeps only ``meta`` and ``state_dict`` of it):
- ``meta``: str/int config, seed, time, versions, epoch/iter, and ``dataset_meta`` = mmpose's
  parsed metainfo, which holds numpy arrays (``sigmas``/``dataset_keypoint_weights`` float32,
  ``keypoint_colors``/``skeleton_link_colors`` uint8). mmcv-era (mmpose 0.x) files keep hook
  messages in ``meta['hook_msgs']``, which may hold numpy scalars (``best_score``, float64).
- ``message_hub`` (unpublished checkpoints): mmengine ``HistoryBuffer`` objects (numpy
  float64/int64 arrays, and their statistics methods pickled as ``getattr(HistoryBuffer, name)``),
  numpy scalars.
- ``optimizer`` / ``param_schedulers``: tensors and plain Python values (allowed natively, as
  are ``OrderedDict``, ``set``, ``bytearray``, ``complex``, ``torch.Size``, ``torch.device``...).
Anything else is refused with a one-line ``ValueError`` naming the file and the global.
"""
from __future__ import annotations

import hashlib
import pickle
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from robustpose.models.pretrained import PretrainedModel, build_estimator
from robustpose.models.unpickle import refusal

# numpy dtype classes (numpy >= 1.25 has one class per dtype) that the BUILD opcode may
# restore a dtype's state into: plain fixed-size data types only. ``ObjectDType`` and
# ``VoidDType`` (structured, may nest object fields) are left out: no mmengine checkpoint needs
# object arrays.
_NUMPY_DTYPE_CLASSES = (
    "BoolDType", "Int8DType", "Int16DType", "Int32DType", "Int64DType", "UInt8DType", "UInt16DType",
    "UInt32DType", "UInt64DType", "Float16DType", "Float32DType", "Float64DType", "LongDoubleDType",
    "Complex64DType", "Complex128DType", "CLongDoubleDType", "StrDType", "BytesDType",
    # C-type aliases: on some platforms long / long long are classes distinct from Int64DType
    "ByteDType", "UByteDType", "ShortDType", "UShortDType", "IntDType", "UIntDType", "LongDType",
    "ULongDType", "LongLongDType", "ULongLongDType",
)

# HistoryBuffer pickles its statistics methods as ``getattr(HistoryBuffer, name)``; these are
# mmengine's defaults. Any other attribute is refused.
_HISTORY_BUFFER_METHODS = frozenset({"min", "max", "current", "mean"})
_HISTORY_BUFFER = "mmengine.logging.history_buffer.HistoryBuffer"


class _RefusedAttribute(pickle.UnpicklingError):
    pass


class HistoryBufferData:
    """What a pickled ``mmengine`` ``HistoryBuffer`` is loaded as: its data, nothing else.

    The real class's ``__setstate__`` copies the file's ``statistics_methods`` into a class-level
    dict shared by the whole process (so a file could plant callables that mmengine's logger
    calls later). This stand-in keeps ``_log_history`` / ``_count_history`` / ``max_length`` and
    drops the methods.
    """

    def __setstate__(self, state: Any) -> None:
        if not isinstance(state, dict):
            raise _RefusedAttribute(f"refused attribute HistoryBuffer.__setstate__({type(state).__name__})")
        self.__dict__.update({k: v for k, v in state.items() if k != "statistics_methods"})


def _restricted_getattr(obj: Any, name: Any) -> str:
    """``builtins.getattr`` as seen by the unpickler: only ``HistoryBuffer.<default statistic>``.

    It returns a placeholder string (``HistoryBufferData`` drops the methods anyway). A real
    ``getattr`` would let a file reach any attribute of an allowed object (``__globals__``,
    ``__builtins__``...).
    """
    if obj is HistoryBufferData and name in _HISTORY_BUFFER_METHODS:
        return f"HistoryBuffer.{name}"
    owner = obj.__qualname__ if isinstance(obj, type) else type(obj).__qualname__
    owner = "HistoryBuffer" if obj is HistoryBufferData else owner  # the name the file used
    raise _RefusedAttribute(f"refused attribute builtins.getattr({owner},{name!r})")


def allowed_globals() -> list[Any]:
    """The allow-list given to ``torch.serialization.safe_globals`` (see the module docstring).

    Each entry only rebuilds plain data; none runs code that the file chooses:
    - ``numpy.core.multiarray._reconstruct`` (name written by numpy 1.x) and
      ``numpy._core.multiarray._reconstruct`` (numpy 2): allocate an empty array of the given
      subtype, which must itself be on the list (only ``numpy.ndarray`` is).
    - ``numpy.ndarray``: its ``__setstate__`` copies raw bytes into the array.
    - ``numpy.core.multiarray.scalar`` / ``numpy._core.multiarray.scalar``: a numpy scalar
      from raw bytes.
    - ``numpy.dtype`` and the plain dtype classes: dtype descriptors parsed from a type code
      (no eval) and their byte-order state.
    - ``mmengine.logging.history_buffer.HistoryBuffer`` -> ``HistoryBufferData`` (inert stand-in;
      mmengine is not even imported) and ``builtins.getattr`` -> ``_restricted_getattr``.
    """
    import numpy as np

    try:
        from numpy._core import multiarray  # numpy >= 2
    except ImportError:  # numpy 1.x
        from numpy.core import multiarray
    allowed: list[Any] = [np.ndarray, np.dtype]
    # Files written under numpy 1.x name numpy.core.*, under numpy 2 numpy._core.*: same functions.
    for mod in ("numpy.core.multiarray", "numpy._core.multiarray"):
        allowed += [(multiarray._reconstruct, f"{mod}._reconstruct"), (multiarray.scalar, f"{mod}.scalar")]
    dtypes = getattr(np, "dtypes", None)
    if dtypes is not None:
        allowed += sorted({getattr(dtypes, n) for n in _NUMPY_DTYPE_CLASSES if hasattr(dtypes, n)},
                          key=lambda c: c.__name__)
    allowed += [(HistoryBufferData, _HISTORY_BUFFER), (_restricted_getattr, "builtins.getattr")]
    return allowed


def _check_sha256(path: Path, prefix: str) -> None:
    if not re.fullmatch(r"[0-9a-fA-F]{1,64}", prefix):
        raise ValueError(f"sha256_prefix must be 1-64 hex characters, got {prefix!r}")
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    hexdigest = digest.hexdigest()
    if not hexdigest.startswith(prefix.lower()):
        raise ValueError(f"{path}: sha256 {hexdigest} does not start with the expected {prefix.lower()}; "
                         "the file is corrupt, truncated or not the published checkpoint")


def _first_line(text: str) -> str:
    return next((ln.strip() for ln in text.splitlines() if ln.strip()), "")


def load_mmengine_state_dict(path: str | Path, sha256_prefix: str | None = None) -> dict[str, torch.Tensor]:
    """The model weights of an mmengine/mmcv checkpoint, loaded without running pickled code.

    Args:
        path: a ``.pth`` file (zip or legacy serialization).
        sha256_prefix: if given, the file's sha256 must start with it (checked before unpickling;
            mmpose names published files ``<name>-<sha256[:8]>_<date>.pth``).

    Returns:
        ``ckpt["state_dict"]`` if present, else the checkpoint itself; a leading ``module.``
        (DataParallel / DDP) is removed when every key has it. The dict's ``_metadata`` (module
        versions, which mmpose's state-dict hooks read) is kept.

    Raises:
        ValueError: sha256 mismatch; the file needs a global outside ``allowed_globals()``
            (the message names it); unreadable file; no tensor state dict inside.
    """
    path = Path(path)
    if sha256_prefix is not None:
        _check_sha256(path, sha256_prefix)
    try:
        with torch.serialization.safe_globals(allowed_globals()):
            ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        raise ValueError(refusal(path, err, f"{path}: refusing to unpickle it ({_first_line(str(err))})")) from None
    except OSError:  # missing / unreadable file: already names the path
        raise
    except Exception as err:  # a corrupt file fails anywhere in the unpickler (IndexError, struct.error...)
        raise ValueError(f"{path}: not a readable torch checkpoint ({type(err).__name__}: "
                         f"{_first_line(str(err))})") from err

    state = ckpt.get("state_dict", ckpt) if isinstance(ckpt, Mapping) else ckpt
    if not isinstance(state, Mapping) or not state:
        raise ValueError(f"{path}: no state dict in the checkpoint (found {type(state).__name__} "
                         f"of length {len(state) if hasattr(state, '__len__') else '?'})")
    bad = [k for k, v in state.items() if not isinstance(k, str) or not isinstance(v, torch.Tensor)]
    if bad:
        raise ValueError(f"{path}: the state dict has non-tensor entries, e.g. {bad[:3]}")
    if all(k.startswith("module.") for k in state):
        # In place, and also renames the _metadata entries mmpose's version hooks read.
        torch.nn.modules.utils.consume_prefix_in_state_dict_if_present(state, "module.")
    return state


def _few(keys: list[str], n: int = 5) -> str:
    more = f" (+{len(keys) - n} more)" if len(keys) > n else ""
    return ", ".join(keys[:n]) + more


def load_pretrained(model: PretrainedModel, path: str | Path) -> torch.nn.Module:
    """Build ``model``'s estimator and load the checkpoint at ``path`` into it (strictly).

    The file is checked against ``model.sha256_prefix`` when the registry has one. Returns the
    estimator in eval mode.

    Raises:
        ValueError: see ``load_mmengine_state_dict``; or the weights do not fit the model (the
            message lists the first missing / unexpected keys and shape mismatches).
        ImportError: the model needs a package that is not installed.
    """
    state = load_mmengine_state_dict(path, model.sha256_prefix)
    net = build_estimator(model)
    try:
        # strict=False returns the key lists after mmpose's key-rename hooks ran, so we can
        # report them; any mismatch is still an error below (same acceptance as strict=True).
        result = net.load_state_dict(state, strict=False)
    except RuntimeError as err:  # shape mismatches are raised even when strict=False
        shapes = [ln.strip() for ln in str(err).splitlines() if "size mismatch" in ln]
        raise ValueError(f"{path}: weights do not fit {model.name!r}: "
                         f"{'; '.join(shapes[:3]) or _first_line(str(err))}"
                         f"{f' (+{len(shapes) - 3} more)' if len(shapes) > 3 else ''}") from None
    problems = []
    if result.missing_keys:
        problems.append(f"missing keys: {_few(list(result.missing_keys))}")
    if result.unexpected_keys:
        problems.append(f"unexpected keys: {_few(list(result.unexpected_keys))}")
    if problems:
        raise ValueError(f"{path}: state dict does not match {model.name!r}: {'; '.join(problems)}")
    return net.eval()


__all__ = ["HistoryBufferData", "allowed_globals", "load_mmengine_state_dict", "load_pretrained"]
