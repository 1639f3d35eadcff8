"""Pose models: registry of specs, mmpose-backed networks, top-down estimator."""
from robustpose.models.registry import ModelSpec, list_models, model_spec

__all__ = ["ModelSpec", "list_models", "model_spec"]
