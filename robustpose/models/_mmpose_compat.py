"""The one place that imports mmpose.

mmpose 1.3.2 imports ``mmcv.ops`` (compiled ops, absent from ``mmcv-lite``) and torchvision (whose
PyPI build is CUDA-only and breaks the CPU torch) unconditionally, although the top-down models
we build never call them. During the import only, we put stand-in modules for whichever of the
two cannot be imported; any attribute of a stand-in is a placeholder that raises a clear error if
it is ever *used*. The stand-ins are removed right after import so nothing else sees them.
With full mmcv and a working torchvision installed nothing is stubbed.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
import warnings
from typing import Any

_STUB_ROOTS: tuple[str, ...] = ("mmcv.ops", "torchvision")


class _Unavailable:
    """Placeholder for an op that needs full mmcv or torchvision."""

    _what = "this operator"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError(f"{self._what} needs full mmcv / torchvision, which is not installed; "
                           "the embedded models do not use it (see DESIGN.md, mmpose recipe)")

    def __init_subclass__(cls, **kwargs: Any) -> None:  # subclassing a placeholder is allowed
        super().__init_subclass__(**kwargs)


class _StubModule(types.ModuleType):
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return type(name, (_Unavailable,), {"_what": f"{self.__name__}.{name}"})


class _StubFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def __init__(self, roots: tuple[str, ...]) -> None:
        self.roots = roots

    def find_spec(self, fullname, path=None, target=None):
        if any(fullname == r or fullname.startswith(r + ".") for r in self.roots):
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        mod = _StubModule(spec.name)
        mod.__path__ = []
        return mod

    def exec_module(self, module) -> None:
        return None


def _importable(name: str) -> bool:
    try:
        importlib.import_module(name)
        return True
    except Exception:  # a broken binary raises anything from ImportError to OSError
        for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
            del sys.modules[key]
        return False


def import_mmpose() -> types.ModuleType:
    """Import ``mmpose.models``, ``mmpose.codecs`` and ``mmpose.apis`` with stubs where needed."""
    if "mmpose.apis" in sys.modules:
        return sys.modules["mmpose"]
    roots = tuple(r for r in _STUB_ROOTS if not _importable(r))
    finder = _StubFinder(roots)
    for r in roots:
        sys.modules.pop(r, None)
    sys.meta_path.insert(0, finder)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            importlib.import_module("mmpose.models")
            importlib.import_module("mmpose.codecs")
            importlib.import_module("mmpose.apis")
    finally:
        sys.meta_path.remove(finder)
        for key in [k for k in sys.modules if any(k == r or k.startswith(r + ".") for r in roots)]:
            del sys.modules[key]
    return sys.modules["mmpose"]
