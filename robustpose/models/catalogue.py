"""One model catalogue: every name evaluation accepts, embedded or pretrained.

A model name in params or on a stage's command line is either an embedded model (``registry``:
trained here, a robustpose checkpoint) or a published mmpose checkpoint (``pretrained``).
Resolving it in one place keeps the precedence (embedded first) and the error for a name in
neither registry the same for every caller, and that error lists both kinds of names.
"""
from __future__ import annotations

from robustpose.models.pretrained import PretrainedModel, list_pretrained, pretrained_model
from robustpose.models.registry import ModelSpec, list_models, model_spec


def _valid_names() -> str:
    """Every name ``resolve`` accepts, by kind, for error messages."""
    return (f"embedded models: {', '.join(list_models())}; "
            f"pretrained models: {', '.join(list_pretrained())}")


def resolve(name: str) -> ModelSpec | PretrainedModel:
    """The registry entry behind ``name``: an embedded model's ``ModelSpec`` (the registry's,
    without params overrides) or a pretrained checkpoint's ``PretrainedModel``.

    Raises:
        ValueError: ``name`` is in neither registry (the message lists both kinds of names).
    """
    if name in list_models():
        return model_spec(name)
    if name in list_pretrained():
        return pretrained_model(name)
    raise ValueError(f"unknown model {name!r}; valid names: {_valid_names()}")


__all__ = ["resolve"]
