"""Transfer: perturbations crafted on one model, scored on another (Shah et al.'s black-box and
"doubly black-box" settings).

Two matrices, rows = target model, columns = source model: the image-specific perturbations a
source's ``attack@`` kept (``adv_<condition>.npy``, one per crop) and its universal
perturbation (``universal_eps<eps>.npy``). A perturbation is a grey-level offset of the crop, so
it transfers as is between models with the same input size (their crops are pixel-identical);
pairs with different input sizes are left out and logged. The diagonal is the white-box attack
and reproduces the source's own ``attack@`` number, which the tests check.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from robustpose.attack import crafting as K
from robustpose.attack.benchmark import _relative
from robustpose.attack.gradient import apply_perturbation
from robustpose.attack.objective import PoseObjective
from robustpose.evaluate.coco_metrics import load_coco
from robustpose.evaluate.scoring import Scorer

log = logging.getLogger(__name__)


@dataclass
class Member:
    """One attacked model of the matrix: its network, crops, clean score and saved perturbations."""
    label: str
    family: str
    objective: PoseObjective
    crops: K.CropSet
    clean: float                   # the clean primary metric (from its attack@ results)
    work_dir: Path                 # its attack@ work directory


def _load(path: Path) -> torch.Tensor:
    if not path.exists():
        raise FileNotFoundError(f"{path}: not found (run attack@ for this model with the transfer condition)")
    return torch.from_numpy(np.load(path, allow_pickle=False))


def _score(member: Member, x: torch.Tensor, gt, scorer: Scorer, batch_size: int) -> dict:
    pts, scores = K.predict(member.objective, x, batch_size)
    metric, _ = scorer.score(gt, K.results(member.crops, pts, scores))
    return {"metric": metric, "relative": _relative(metric[scorer.primary], member.clean)}


def transfer_matrices(members: list[Member], annotations: dict, scorer: Scorer, image_condition: str,
                      universal_eps: float, batch_size: int) -> dict:
    """``{"image_specific": {target: {source: rec}}, "universal": {...}}`` (module docstring)."""
    gt = load_coco(annotations)
    out: dict = {"image_specific": {}, "universal": {}}
    for target in members:
        x = target.crops.grey()
        for source in members:
            if source.objective.input_hw != target.objective.input_hw or len(source.crops) != len(target.crops):
                log.info("transfer %s -> %s skipped: input sizes %s vs %s", source.label, target.label,
                         source.objective.input_hw, target.objective.input_hw)
                continue
            if image_condition:
                delta = _load(source.work_dir / f"adv_{image_condition}.npy")
                out["image_specific"].setdefault(target.label, {})[source.label] = _score(
                    target, torch.clamp(x + delta, 0.0, 255.0), gt, scorer, batch_size)
            if universal_eps:
                u = _load(source.work_dir / f"universal_eps{universal_eps:g}.npy")
                out["universal"].setdefault(target.label, {})[source.label] = _score(
                    target, apply_perturbation(x, u), gt, scorer, batch_size)
    return out


__all__ = ["Member", "transfer_matrices"]
