"""Attack one model on one dataset: every (attack, eps) condition, scored with the dataset's metric.

A condition is an attack name (``fgsm-u``, ``igsm-t-20``, ``universal-u``; ``clean`` is eps 0)
at one eps, optionally under a defence: ``flip`` (the perturbation mirrored horizontally) or
``smooth`` (Gaussian smoothing of the input). Its record holds the metric (OKS AP or PCKh and
companions), the relative metric ``attacked / clean x 100``, per-keypoint values and their
relative values, and, for targeted attacks, the *target metric*: the same metric with each
person's target pose as ground truth.

Each record is cached as ``<cache_dir>/<condition>.json`` under a key built from the checkpoint
digest, the crops, the condition and every setting that shapes it, so a killed stage resumes at
the first unfinished condition and writes the same JSON as an uninterrupted run; a changed
model, dataset or setting is never served a stale record.
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from collections import Counter
from typing import Callable, Mapping

import numpy as np
import torch
from tqdm import tqdm

from robustpose._io import read_json, write_bytes_atomic, write_json_atomic
from robustpose.attack import crafting as K
from robustpose.attack.gradient import apply_perturbation, universal
from robustpose.attack.objective import PoseObjective
from robustpose.attack.targets import TargetPoses, target_annotations
from robustpose.evaluate.coco_metrics import load_coco
from robustpose.evaluate.scoring import Scorer
from robustpose.seeding import derive_entropy

log = logging.getLogger(__name__)

UNIVERSAL = "universal-u"
DEFENCES = ("flip", "smooth")


@dataclass(frozen=True)
class Condition:
    attack: str          # clean | an AttackSpec name | universal-u
    eps: float           # grey levels (0 for clean)
    defence: str = ""    # "" | flip | smooth

    @property
    def key(self) -> str:
        return f"{self.attack}@{self.eps:g}" + (f"+{self.defence}" if self.defence else "")

    @property
    def name(self) -> str:
        """The attack's row name in the results (defence appended)."""
        return self.attack + (f"+{self.defence}" if self.defence else "")

    @classmethod
    def parse(cls, key: str) -> "Condition":
        """``igsm-u-10@8`` or ``universal-u@16+flip``."""
        base, _, defence = str(key).partition("+")
        attack, sep, eps = base.partition("@")
        if not sep:
            raise ValueError(f"condition {key!r} must read <attack>@<eps>[+flip|+smooth], e.g. igsm-u-10@8")
        if defence and defence not in DEFENCES:
            raise ValueError(f"condition {key!r}: unknown defence {defence!r}; valid: {', '.join(DEFENCES)}")
        if attack not in ("clean", UNIVERSAL):
            K.AttackSpec.parse(attack)
        try:
            value = float(eps)
        except ValueError:
            raise ValueError(f"condition {key!r}: eps {eps!r} is not a number") from None
        return cls(attack, value, defence)


@dataclass(frozen=True)
class AttackSettings:
    """Everything besides the condition that shapes an attacked record.

    params.yaml is the source (``attack:`` and ``seed``, through ``AttackGrid.settings``); the
    defaults are its values, for tests, and tests/test_param_defaults.py fails when they drift
    apart. ``dataset`` is the stage's ``--dataset``.
    """
    alpha_untargeted: float = 0.4     # step = fraction x eps (Shah et al.: eps/3 .. eps/2)
    alpha_targeted: float = 0.125     # (eps/9 .. eps/7)
    batch_size: int = 64              # crops per forward/backward pass
    flip_test: bool = False           # the paper: one crop, no flip test
    smoothing_sigma: float = 1.0      # the smoothing defence, pixels
    universal_steps: int = 32         # mini-batch updates of a universal perturbation (paper scale: 2000)
    universal_step: float = 0.0625    # its step as a fraction of eps (paper: eps / 200 = 0.005)
    universal_batch: int = 16
    seed: int = 0
    dataset: str = ""

    def __post_init__(self) -> None:
        for name in ("alpha_untargeted", "alpha_targeted"):
            value = getattr(self, name)
            if not 0 < value <= 1:
                raise ValueError(f"attack.{name} = {value} must be in (0, 1] (a fraction of eps: alpha > eps "
                                 "would overshoot the eps-ball every step)")
        if self.batch_size < 1 or self.universal_batch < 1 or self.universal_steps < 0:
            raise ValueError("attack.batch_size, universal_batch must be >= 1 and universal_steps >= 0")
        if not 0 < self.universal_step <= 1:
            raise ValueError(f"attack.universal_step = {self.universal_step} must be in (0, 1] (a fraction of eps)")
        if self.smoothing_sigma < 0:
            raise ValueError(f"attack.smoothing_sigma = {self.smoothing_sigma} must be >= 0")

    def alpha(self, spec: K.AttackSpec, eps: float) -> float:
        return eps * (self.alpha_targeted if spec.targeted else self.alpha_untargeted)


def check_conditions(conditions: list[Condition]) -> None:
    """Refuse a bad grid with one line: negative eps, or a defence of nothing."""
    for c in conditions:
        if c.eps < 0:
            raise ValueError(f"condition {c.key}: eps must be >= 0")
        if c.attack == "clean" and c.defence == "flip":
            raise ValueError(f"condition {c.key}: flipping an empty perturbation changes nothing")


def _digest(*parts: object) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.tobytes() if isinstance(p, np.ndarray) else json.dumps(p, sort_keys=True, default=str).encode())
        h.update(b"\x1f")
    return h.hexdigest()


def crops_digest(crops: K.CropSet) -> str:
    """sha256 of the pixels, geometry and labels of a crop set (keys every cache)."""
    return _digest(crops.crops, crops.inverses.astype(np.float64), crops.keypoints.astype(np.float64),
                   crops.visible.astype(np.float32), crops.ann_ids.astype(np.int64))


def universal_perturbation(objective: PoseObjective, train: K.CropSet, eps: float, settings: AttackSettings,
                           cache_dir: str | Path, model_digest: str) -> torch.Tensor:
    """The universal perturbation (3,H,W) of this model at ``eps`` over the ``train`` crops,
    cached as ``<cache_dir>/universal_eps<eps>.npy`` (reused when model, crops and settings match)."""
    key = _digest(model_digest, crops_digest(train), eps, settings.universal_steps, settings.universal_batch,
                  settings.universal_step, settings.seed, settings.dataset)
    path = Path(cache_dir) / f"universal_eps{eps:g}.npy"
    meta = path.with_suffix(".key")
    if path.exists() and meta.exists() and meta.read_text().strip() == key:
        return torch.from_numpy(np.load(path, allow_pickle=False))
    gen = torch.Generator().manual_seed(derive_entropy(settings.seed, settings.dataset, "universal", eps) % 2**63)
    x = torch.from_numpy(train.crops).to(objective.device)   # uint8 (M,H,W,3); batches become float
    loss_fn = objective.batch_loss_fn(train.keypoints, train.visible)
    u = universal(loss_fn, x.permute(0, 3, 1, 2), eps, settings.universal_steps, batch_size=settings.universal_batch,
                  step_size=eps * settings.universal_step, generator=gen).cpu()
    buf = _npy_bytes(u.numpy())
    write_bytes_atomic(path, buf)
    write_bytes_atomic(meta, key.encode())
    return u


def _npy_bytes(array: np.ndarray) -> bytes:
    import io

    out = io.BytesIO()
    np.save(out, np.ascontiguousarray(array), allow_pickle=False)
    return out.getvalue()


def _relative(value: float | None, clean: float | None) -> float | None:
    """attacked / clean x 100 (None where the clean score is 0 or undefined)."""
    if value is None or clean is None or clean <= 0:
        return None
    return 100.0 * value / clean


class AttackRun:
    """The state one model's grid shares: the crops, their targets, the clean scores, the caches."""

    def __init__(self, objective: PoseObjective, crops: K.CropSet, annotations: dict, scorer: Scorer,
                 targets: TargetPoses | None, settings: AttackSettings, cache_dir: str | Path,
                 model_digest: str, universals: dict[float, torch.Tensor] | None = None,
                 save_adversarial: tuple[str, ...] = (), reuse: Mapping[str, int] | None = None) -> None:
        self.objective, self.crops, self.scorer, self.settings = objective, crops, scorer, settings
        self.cache_dir = Path(cache_dir)
        self.universals = universals or {}
        self.save_adversarial = set(save_adversarial)
        self.gt = load_coco(annotations)
        self.x = crops.grey()
        self.gt_targets = objective.targets(crops.keypoints, crops.visible)
        self.targets = targets
        self.target_gt = load_coco(target_annotations(annotations, crops.ann_ids, targets)) if targets else None
        self.pose_targets = objective.targets(targets.crop_keypoints, targets.visible) if targets else None
        self.base_key = _digest(model_digest, crops_digest(crops), asdict(settings),
                                None if targets is None else targets.source)
        self.clean: dict | None = None
        # base key -> how many later conditions use its attacked crops (defences, IGSM continuations);
        # each use counts down and the crops are freed after the last (paper scale: ~1 GB a condition)
        self.reuse = Counter(reuse or {})
        self._memo: dict[str, torch.Tensor] = {}

    def _score(self, x: torch.Tensor, targeted: bool) -> dict:
        pts, scores = K.predict(self.objective, x, self.settings.batch_size, self.settings.flip_test)
        res = K.results(self.crops, pts, scores)
        metric, per_kp = self.scorer.score(self.gt, res)
        record = {"metric": metric, "per_keypoint": per_kp}
        if targeted and self.target_gt is not None:
            t_metric, t_per_kp = self.scorer.score(self.target_gt, res)
            record.update(target_metric=t_metric, target_per_keypoint=t_per_kp)
        return record

    def adversarial(self, cond: Condition) -> torch.Tensor:
        """The attacked crops of ``cond`` before any defence (kept in memory for ``reuse``)."""
        base = Condition(cond.attack, cond.eps).key
        if base in self._memo:
            return self._take(base)
        x_adv = self._attack(cond)
        if cond.defence:
            self.reuse[base] -= 1     # this use (a resumed stage read the base from its cache)
        if self.reuse[base] > 0:
            self._memo[base] = x_adv
        return x_adv

    def _take(self, base: str) -> torch.Tensor:
        """The kept crops of ``base``, freed after their last announced use."""
        x_adv = self._memo[base]
        self.reuse[base] -= 1
        if self.reuse[base] <= 0:
            del self._memo[base]
        return x_adv

    def _attack(self, cond: Condition) -> torch.Tensor:
        if cond.attack == "clean":
            return self.x
        if cond.attack == UNIVERSAL:
            if cond.eps not in self.universals:
                raise ValueError(f"condition {cond.key}: no universal perturbation at eps {cond.eps:g} "
                                 f"(attack.universal_eps lists {sorted(self.universals)})")
            return apply_perturbation(self.x, self.universals[cond.eps])
        spec = K.AttackSpec.parse(cond.attack)
        if spec.targeted and self.pose_targets is None:
            raise ValueError(f"condition {cond.key}: targeted attack without target poses")
        targets = self.pose_targets if spec.targeted else self.gt_targets
        return K.craft(self.objective, spec, self.x, cond.eps, self.settings.alpha(spec, cond.eps), targets,
                       self.settings.batch_size, (self.settings.seed, self.settings.dataset, cond.key),
                       start=self._continuation(spec, cond.eps))

    def _continuation(self, spec: K.AttackSpec, eps: float) -> tuple[int, torch.Tensor] | None:
        """(steps done, crops) of a shorter IGSM run at ``eps`` kept in memory, to continue from.
        Only a speed-up: without one (a resumed stage read it from its cache) the run starts
        from scratch and ends at the same crops."""
        here = [c.attack for c in map(Condition.parse, self._memo) if c.eps == eps and not c.defence]
        source = K.continuation_source(spec, here)
        if source is None:
            return None
        return source.steps, self._take(Condition(source.name, eps).key)

    def _defend(self, cond: Condition, x_adv: torch.Tensor) -> torch.Tensor:
        if cond.defence == "flip":
            return K.flip_perturbation(self.x, x_adv)
        if cond.defence == "smooth":
            return K.gaussian_smooth(x_adv, self.settings.smoothing_sigma)
        return x_adv

    def record(self, cond: Condition) -> dict:
        """The condition's record, from the cache when its key matches, else computed and cached."""
        universal_key = (_digest(self.universals[cond.eps].numpy())
                         if cond.attack == UNIVERSAL and cond.eps in self.universals else None)
        key = _digest(self.base_key, cond.key, universal_key)
        cache = self.cache_dir / f"{cond.key}.json"
        adv_file = self.cache_dir / f"adv_{cond.key}.npy"
        cached = read_json(cache) if cache.exists() else None
        if cached is not None and cached.get("key") == key and (cond.key not in self.save_adversarial
                                                                or adv_file.exists()):
            return cached["record"]
        x_adv = self.adversarial(cond)
        if cond.key in self.save_adversarial:   # for transfer: the perturbation, exactly
            write_bytes_atomic(adv_file, _npy_bytes((x_adv - self.x).numpy()))
        targeted = cond.attack not in ("clean", UNIVERSAL) and K.AttackSpec.parse(cond.attack).targeted
        record = self._score(self._defend(cond, x_adv), targeted or cond.attack == "clean")
        record["linf"] = float((x_adv - self.x).abs().max()) if len(self.x) else 0.0
        write_json_atomic(cache, {"key": key, "record": record}, indent=None)
        return record

    def relative(self, record: dict) -> dict:
        """``record`` with its relative metric and relative per-keypoint values (vs clean)."""
        primary = self.scorer.primary
        clean = self.clean
        out = dict(record)
        out["relative"] = _relative(record["metric"][primary], clean["metric"][primary])
        out["relative_per_keypoint"] = {k: _relative(v, clean["per_keypoint"].get(k))
                                        for k, v in record["per_keypoint"].items()}
        return out


def run_attacks(run: AttackRun, conditions: list[Condition],
                on_condition: Callable[[Condition, dict], None] | None = None) -> dict:
    """Records of clean + every condition: ``{"clean": ..., "attacks": {name: {eps: record}}}``."""
    check_conditions(conditions)
    run.clean = run.record(Condition("clean", 0.0))
    out: dict = {"clean": run.relative(run.clean), "attacks": {}}
    for cond in tqdm(conditions, desc="attack conditions", mininterval=5):
        rec = run.relative(run.record(cond))
        out["attacks"].setdefault(cond.name, {})[f"{cond.eps:g}"] = rec
        if on_condition:
            on_condition(cond, rec)
    return out


def summary(results: dict, primary: str, headline: dict[str, str]) -> dict:
    """Headline numbers for ``dvc metrics``: ``{label: relative metric}`` for the conditions in
    ``headline`` (label -> condition key) that were run, and the clean metric."""
    out = {f"clean_{primary}": results["clean"]["metric"][primary]}
    for label, key in headline.items():
        cond = Condition.parse(key)
        rec = results["attacks"].get(cond.name, {}).get(f"{cond.eps:g}")
        if rec is None:
            continue
        if label.endswith("target"):
            out[label] = rec.get("target_metric", {}).get(primary)
        else:
            out[label] = rec["relative"]
    return out


__all__ = ["AttackRun", "AttackSettings", "Condition", "DEFENCES", "UNIVERSAL", "check_conditions",
           "crops_digest", "run_attacks", "summary", "universal_perturbation"]
