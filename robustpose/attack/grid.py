"""The attack grid of a run, from the ``attack`` params section (a plain dict).

``grid`` maps attack names to the eps values they run at (``all`` = ``eps``); universal
perturbations run at ``universal_eps``; every ``defended`` condition also runs with its
perturbation flipped (``+flip``) and with the input smoothed (``+smooth``), and the clean crops
are smoothed too (the defence's clean cost). Validation happens here, once: an unknown attack,
a negative eps or an alpha above eps ends the stage with one line.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from robustpose.attack.benchmark import UNIVERSAL, AttackSettings, Condition, check_conditions
from robustpose.attack.crafting import AttackSpec, continuation_source

# dvc metrics headline: label -> condition (a label ending in "target" reports the target metric)
HEADLINE = {"fgsm_u_eps8": "fgsm-u@8", "igsm_u_10_eps8": "igsm-u-10@8", "universal_eps16": "universal-u@16",
            "igsm_t_20_eps8_target": "igsm-t-20@8"}

SCHEMA: dict[str, type | tuple[type, ...]] = {
    "datasets": list, "runs": dict, "eps": list, "grid": dict, "alpha_untargeted": (int, float),
    "alpha_targeted": (int, float), "universal_eps": list, "universal_split": str, "universal_steps": int,
    "universal_step": float, "universal_batch": int, "universal_max_crops": int, "defended": list,
    "smoothing_sigma": (int, float), "transfer": list, "transfer_universal_eps": (int, float), "max_images": int,
    "batch_size": int, "flip_test": bool, "threads": int, "device": str,
}


def _eps_list(values: Any, where: str) -> list[float]:
    if not isinstance(values, list) or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        raise ValueError(f"{where} must be a list of numbers (grey levels), got {values!r}")
    bad = [v for v in values if v < 0]
    if bad:
        raise ValueError(f"{where}: eps must be >= 0, got {bad[0]}")
    return [float(v) for v in values]


def _grid_entry(entry: Any, where: str) -> tuple[Any, list[str] | None]:
    """``all`` | ``[eps, ...]`` | ``{eps: all | [...], only: [label, ...]}`` -> (eps, labels or None).

    ``only`` runs an attack on some models alone: the embedded default runs the 100-iteration
    rows on one model to stay within its time budget."""
    if not isinstance(entry, dict):
        return entry, None
    unknown = sorted(set(entry) - {"eps", "only"})
    if unknown or "eps" not in entry:
        raise ValueError(f"{where} must be all, a list of eps, or {{eps: ..., only: [labels]}}; "
                         f"got keys {sorted(entry)}")
    only = entry.get("only")
    if only is not None and (not isinstance(only, list) or not all(isinstance(v, str) for v in only)):
        raise ValueError(f"{where}.only must be a list of model labels, got {only!r}")
    return entry["eps"], only


@dataclass(frozen=True)
class AttackGrid:
    conditions: list[Condition]
    universal_eps: list[float]
    transfer: tuple[str, ...]
    transfer_universal_eps: float
    headline: dict[str, str]
    section: dict[str, Any] = field(repr=False)

    @property
    def threads(self) -> int:
        return int(self.section["threads"])

    @property
    def device(self) -> str:
        return str(self.section["device"])

    @property
    def max_images(self) -> int:
        return int(self.section["max_images"])

    @property
    def universal_max_crops(self) -> int:
        return int(self.section["universal_max_crops"])

    def _crafted(self) -> list[AttackSpec]:
        """The gradient attack of every condition that crafts one (not clean, universal or defended:
        a defended condition reuses its undefended adversarials)."""
        return [AttackSpec.parse(c.attack) for c in self.conditions
                if c.attack not in ("clean", UNIVERSAL) and not c.defence]

    @property
    def targeted(self) -> bool:
        """Whether a condition needs target poses (choosing them needs two labelled people)."""
        return any(spec.targeted for spec in self._crafted())

    def gradient_passes(self) -> tuple[int, int]:
        """(gradient passes a crop over the grid, crop passes fitting the universal perturbations):
        what the attack stages cost, for planning."""
        s = self.section
        crafted = [c for c in self.conditions if c.attack not in ("clean", UNIVERSAL) and not c.defence]
        passes = 0
        for i, c in enumerate(crafted):
            spec = AttackSpec.parse(c.attack)
            source = continuation_source(spec, [e.attack for e in crafted[:i] if e.eps == c.eps])
            passes += spec.steps - (source.steps if source else 0)
        return passes, len(self.universal_eps) * int(s["universal_steps"]) * int(s["universal_batch"])

    def settings(self, seed: int, dataset: str) -> AttackSettings:
        s = self.section
        return AttackSettings(alpha_untargeted=float(s["alpha_untargeted"]), alpha_targeted=float(s["alpha_targeted"]),
                              batch_size=int(s["batch_size"]), flip_test=bool(s["flip_test"]),
                              smoothing_sigma=float(s["smoothing_sigma"]), universal_steps=int(s["universal_steps"]),
                              universal_step=float(s["universal_step"]),
                              universal_batch=int(s["universal_batch"]), seed=seed, dataset=dataset)

    def describe(self) -> dict[str, Any]:
        """What the metrics file records of the grid (everything but the run list)."""
        return {k: v for k, v in self.section.items() if k not in ("runs", "datasets")}

    @classmethod
    def from_section(cls, section: dict[str, Any], label: str | None = None) -> "AttackGrid":
        """Parse and check the ``attack`` section (keys and types are checked by the caller).

        ``label``: the run's model label; grid entries restricted to other labels (``only:``)
        are left out. None keeps every entry (checks, and the union of all runs)."""
        eps = _eps_list(section["eps"], "attack.eps")
        conditions: list[Condition] = []
        for name, entry in section["grid"].items():
            AttackSpec.parse(name)
            values, only = _grid_entry(entry, f"attack.grid.{name}")
            if label is not None and only is not None and label not in only:
                continue
            values = eps if values == "all" else _eps_list(values, f"attack.grid.{name}")
            conditions.extend(Condition(name, e) for e in values)
        universal_eps = _eps_list(section["universal_eps"], "attack.universal_eps")
        if section["universal_split"] not in ("train", "val"):
            raise ValueError(f"attack.universal_split must be train or val, got {section['universal_split']!r}")
        conditions.extend(Condition(UNIVERSAL, e) for e in universal_eps)
        defended = [Condition.parse(k) for k in section["defended"]]
        for c in defended:
            if c.defence:
                raise ValueError(f"attack.defended: {c.key}: list the undefended condition; +flip and +smooth are added")
            if c.attack == UNIVERSAL and c.eps not in universal_eps:
                raise ValueError(f"attack.defended: {c.key}: eps {c.eps:g} is not in attack.universal_eps")
            conditions.extend([Condition(c.attack, c.eps, "flip"), Condition(c.attack, c.eps, "smooth")])
        if defended:
            conditions.append(Condition("clean", 0.0, "smooth"))
        transfer = tuple(Condition.parse(k).key for k in section["transfer"])
        if float(section["transfer_universal_eps"]) not in universal_eps and universal_eps:
            raise ValueError(f"attack.transfer_universal_eps = {section['transfer_universal_eps']} is not in "
                             f"attack.universal_eps {section['universal_eps']}")
        keys = [c.key for c in conditions]
        dup = sorted({k for k in keys if keys.count(k) > 1})
        if dup:
            raise ValueError(f"attack.grid: condition {dup[0]} is listed twice")
        missing = [k for k in transfer if k not in keys]
        if missing:
            raise ValueError(f"attack.transfer: {missing[0]} is not a condition of the grid")
        check_conditions(conditions)
        cls._check_alpha(section)
        return cls(conditions=conditions, universal_eps=universal_eps, transfer=transfer,
                   transfer_universal_eps=float(section["transfer_universal_eps"]),
                   headline=HEADLINE, section=dict(section))

    @staticmethod
    def _check_alpha(section: dict[str, Any]) -> None:
        AttackSettings(alpha_untargeted=float(section["alpha_untargeted"]),
                       alpha_targeted=float(section["alpha_targeted"]))


def reused_adversarials(conditions: list[Condition]) -> dict[str, int]:
    """Base condition key -> how many later conditions use its attacked crops: each defended
    condition, and each longer IGSM run at the same eps that continues it (IGSM-U-100@8 from
    IGSM-U-10@8)."""
    uses: Counter[str] = Counter()
    for i, c in enumerate(conditions):
        if c.attack == "clean":
            continue
        if c.defence:
            uses[Condition(c.attack, c.eps).key] += 1
            continue
        if c.attack == UNIVERSAL:
            continue
        earlier = [e.attack for e in conditions[:i] if e.eps == c.eps and not e.defence]
        source = continuation_source(AttackSpec.parse(c.attack), earlier)
        if source is not None:
            uses[Condition(source.name, c.eps).key] += 1
    return dict(uses)


__all__ = ["AttackGrid", "HEADLINE", "SCHEMA", "reused_adversarials"]
