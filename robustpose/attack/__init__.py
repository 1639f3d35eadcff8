"""Adversarial robustness of pose estimators (Shah et al., *On the Robustness of Human Pose
Estimation*): L-infinity attacks written once over a loss closure (``gradient``), each model's
own training loss on grey-level crops (``objective``), target poses (``targets``), batched
crafting and defences (``crafting``), the cached per-condition runner (``benchmark``), the
params grid (``grid``) and the crop sets of a split (``dataset``)."""
from robustpose.attack.benchmark import (UNIVERSAL, AttackRun, AttackSettings, Condition, run_attacks, summary,
                                         universal_perturbation)
from robustpose.attack.crafting import AttackSpec, CropSet, crop_set
from robustpose.attack.dataset import first_images, load_crops, other_images, targets_for
from robustpose.attack.gradient import apply_perturbation, fgsm, iterative, project, universal
from robustpose.attack.grid import AttackGrid, reused_adversarials
from robustpose.attack.objective import PoseObjective

__all__ = ["UNIVERSAL", "AttackGrid", "AttackRun", "AttackSettings", "AttackSpec", "Condition", "CropSet",
           "PoseObjective", "apply_perturbation", "crop_set", "fgsm", "first_images", "iterative", "load_crops",
           "other_images", "project", "reused_adversarials", "run_attacks", "summary", "targets_for", "universal",
           "universal_perturbation"]
