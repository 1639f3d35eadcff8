"""Loading mmengine / mmcv checkpoints with ``torch.load(weights_only=True)``.

A checkpoint is data, never code: we keep torch's restricted unpickler and allow, for the
duration of one ``torch.load`` call only, the few non-tensor types that mmengine checkpoints
carry besides the weights. What they carry (mmengine 0.10 ``Runner.save_checkpoint``; mmpose's
``tools/misc/publish_model.py`` keeps only ``meta`` and ``state_dict`` of it):
- ``meta``: str/int config, seed, time, versions, epoch/iter, and ``dataset_meta`` = mmpose's
  parsed metainfo, which holds numpy arrays (``sigmas``/``dataset_keypoint_weights`` float32,
  ``keypoint_colors``/``skeleton_link_colors`` uint8); hook messages may hold numpy scalars
  (e.g. ``best_score``, float64).
- ``message_hub`` (unpublished checkpoints): ``HistoryBuffer`` objects (numpy float64/int64
  arrays and a dict of their statistics methods), numpy scalars.
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

# numpy dtype classes (numpy >= 1.25 has one class per dtype) that the BUILD opcode may
# restore a dtype's state into. Plain fixed-size data types only: no ``ObjectDType`` (an
# object array/scalar would hold arbitrary Python objects) and no ``VoidDType`` (structured
# dtypes can nest object fields).
_NUMPY_DTYPE_CLASSES = (
    "BoolDType", "Int8DType", "Int16DType", "Int32DType", "Int64DType", "UInt8DType", "UInt16DType",
    "UInt32DType", "UInt64DType", "Float16DType", "Float32DType", "Float64DType", "LongDoubleDType",
    "Complex64DType", "Complex128DType", "CLongDoubleDType", "StrDType", "BytesDType",
    # platform aliases: on some platforms long/longlong are distinct classes from Int64DType
    "LongDType", "LongLongDType", "ULongDType", "ULongLongDType", "ByteDType", "UByteDType",
    "ShortDType", "UShortDType", "IntDType", "UIntDType",
)

# HistoryBuffer pickles its ``statistics_methods`` dict as ``getattr(HistoryBuffer, name)``.
# These are mmengine's default statistics; any other attribute is refused.
_HISTORY_BUFFER_METHODS = frozenset({"min", "max", "current", "mean"})

_REFUSED = re.compile(
    r"GLOBAL (\S+) was not an allowed global"        # GLOBAL opcode, not allow-listed
    r"|unsupported GLOBAL (\S+) whose module"         # GLOBAL from a blocked module (os, sys...)
    r"|but got <class '([^']+)'>"                     # NEWOBJ/BUILD of a class not allow-listed
    r"|unrecognized function (\S+)"                   # REDUCE of a function not allow-listed
    r"|refused attribute (\S+)")                      # our restricted getattr, below


class _RefusedAttribute(pickle.UnpicklingError):
    pass


def _restricted_getattr(obj: Any, name: str) -> Any:
    """``getattr`` limited to HistoryBuffer's default statistics methods.

    Plain ``builtins.getattr`` would let a file reach any attribute of any allowed object (a
    function's ``__globals__``, ``__builtins__``...) and plant it where later code calls it.
    """
    from mmengine.logging.history_buffer import HistoryBuffer

    if obj is HistoryBuffer and name in _HISTORY_BUFFER_METHODS:
        return getattr(obj, name)
    owner = getattr(obj, "__qualname__", type(obj).__qualname__)
    raise _RefusedAttribute(f"refused attribute builtins.getattr({owner},{name!r})")


def allowed_globals() -> list[Any]:
    """The allow-list passed to ``torch.serialization.safe_globals`` (see module docstring).

    Each entry only rebuilds plain data; none runs code that the file chooses:
    - ``numpy.core.multiarray._reconstruct`` (numpy 1.x name) / ``numpy._core.multiarray.
      _reconstruct`` (numpy 2): allocates an empty array of the given subtype, which must
      itself be on the list (only ``numpy.ndarray`` is).
    - ``numpy.ndarray``: its ``__setstate__`` copies raw bytes into the array.
    - ``numpy.core.multiarray.scalar`` / ``numpy._core...scalar``: a numpy scalar from raw bytes.
    - ``numpy.dtype`` and the plain dtype classes: dtype descriptors parsed from a type string
      (no eval); without ObjectDType, object arrays and object scalars cannot be rebuilt.
    - ``mmengine.logging.history_buffer.HistoryBuffer`` (when mmengine is installed): created
      with ``__new__`` and its ``__dict__`` filled, no ``__setstate__``; pure data container.
    - ``builtins.getattr`` -> ``_restricted_getattr``: only HistoryBuffer's min/max/current/mean.
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
    try:
        from mmengine.logging.history_buffer import HistoryBuffer
    except ImportError:
        pass
    else:
        allowed += [HistoryBuffer, (_restricted_getattr, "builtins.getattr")]
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
        m = _REFUSED.search(str(err))
        if m is None:
            raise ValueError(f"{path}: refusing to unpickle it ({_first_line(str(err))})") from None
        needed = next(g for g in m.groups() if g)
        raise ValueError(f"{path}: checkpoint needs {needed} which is not on the allow-list; "
                         "refusing to unpickle it") from None
    except (RuntimeError, EOFError, ValueError, TypeError, KeyError, AttributeError) as err:
        raise ValueError(f"{path}: not a readable torch checkpoint ({type(err).__name__}: "
                         f"{_first_line(str(err))})") from None

    state = ckpt.get("state_dict", ckpt) if isinstance(ckpt, Mapping) else ckpt
    if not isinstance(state, Mapping) or not state:
        raise ValueError(f"{path}: no state dict in the checkpoint (top-level: {type(ckpt).__name__}"
                         f"{' with keys ' + str(sorted(map(str, ckpt))[:8]) if isinstance(ckpt, Mapping) else ''})")
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


__all__ = ["allowed_globals", "load_mmengine_state_dict", "load_pretrained"]
