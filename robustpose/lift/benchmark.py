"""The 3D lifting robustness benchmark: lifters x remedies x seeds, clean and corrupted.

For every lifter (``tcn``, ``transformer``), variant (``baseline``, ``tagn``, ``caconv``,
``tagn_caconv``) and model seed, train on the clean training split and evaluate MPJPE and
P-MPJPE (mm) on the clean test split and on every corruption x severity of it. The corrupted
test inputs are drawn once from ``rng_for(data_seed, "lift", "corrupt", corruption, severity,
sequence)`` and shared by all models, so differences between models are differences of models.
Runs are independent jobs; ``workers > 1`` runs them in spawned processes (one torch thread
each by default) and the results do not depend on the number of workers.
"""
from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Sequence

import numpy as np

from robustpose.evaluate.mpjpe import pose_errors
from robustpose.lift import corruptions as corr
from robustpose.lift.models import LIFTERS, LifterSpec
from robustpose.lift.motion import LiftSequence
from robustpose.lift.skeleton import skeleton_for
from robustpose.lift.tagn import TAGNConfig
from robustpose.lift.train import LiftTrainConfig, WindowSet, make_windows, predict, train_lifter
from robustpose.seeding import rng_for
from robustpose.workers import map_jobs

log = logging.getLogger(__name__)

# variant -> (TAGN on the training inputs, CA-Conv as the first block)
VARIANTS: dict[str, tuple[bool, bool]] = {
    "baseline": (False, False),
    "tagn": (True, False),
    "caconv": (False, True),
    "tagn_caconv": (True, True),
}
CLEAN = "clean"


@dataclass(frozen=True)
class BenchmarkConfig:
    """Everything a benchmark run depends on (repeated in its results).

    params.yaml is the source (``lift:`` and ``seed``, through ``robustpose.lift.setup``); the
    defaults are its values, for tests, and tests/test_param_defaults.py fails when they drift
    apart.
    """
    lifters: tuple[str, ...] = LIFTERS
    variants: tuple[str, ...] = tuple(VARIANTS)
    seeds: tuple[int, ...] = (0, 1, 2)             # model seeds (init, batches, TAGN draws)
    corruptions: tuple[str, ...] = tuple(corr.names())
    severities: tuple[int, ...] = corr.SEVERITIES
    data_seed: int = 0                             # corrupted test inputs
    tcn_width: int = 128
    transformer_width: int = 64
    steps: int = 1000
    batch_size: int = 64
    lr: float = 6e-3
    lr_final: float = 0.1
    tagn: TAGNConfig = field(default_factory=TAGNConfig)
    eval_stride: int = 8                           # frames between evaluated window centres
    threads: int = 1                               # torch threads per run
    device: str = "cpu"                            # cpu | cuda | auto
    workers: int = 2                               # parallel runs (processes)

    def __post_init__(self) -> None:
        for name, values, valid in (("lifters", self.lifters, LIFTERS), ("variants", self.variants, tuple(VARIANTS)),
                                    ("severities", self.severities, corr.SEVERITIES)):
            bad = [v for v in values if v not in valid]
            if bad or not values:
                raise ValueError(f"lift.{name} = {list(values)}: {bad or 'empty'} not in {list(valid)}")
        try:
            corr.check_names(list(self.corruptions))
        except ValueError as err:
            raise ValueError(f"lift.corruptions: {err}") from None
        if not self.corruptions:
            raise ValueError("lift.corruptions must not be empty")
        if not self.seeds or len(set(self.seeds)) != len(self.seeds):
            raise ValueError(f"lift.seeds = {list(self.seeds)} must be distinct and non-empty")
        for name in ("tcn_width", "transformer_width", "eval_stride", "workers"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"lift.{name} must be >= 1, got {getattr(self, name)}")
        if self.transformer_width % 4:
            raise ValueError(f"lift.transformer_width must be a multiple of 4 (heads), got {self.transformer_width}")

    def train_config(self, seed: int) -> LiftTrainConfig:
        return LiftTrainConfig(steps=self.steps, batch_size=self.batch_size, lr=self.lr, lr_final=self.lr_final,
                               seed=seed, threads=self.threads, device=self.device)

    def spec(self, lifter: str, variant: str, num_joints: int) -> LifterSpec:
        width = self.tcn_width if lifter == "tcn" else self.transformer_width
        return LifterSpec(lifter, width=width, ca_conv=VARIANTS[variant][1], num_joints=num_joints)

    def as_dict(self) -> dict:
        """The settings results depend on (``workers`` is left out: it changes nothing)."""
        d = asdict(self)
        d.pop("workers")
        return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}


def corrupted_inputs(test: Sequence[LiftSequence], corruption: str, severity: int, data_seed: int) -> list[np.ndarray]:
    """The corrupted 2D of every test sequence (one generator per sequence: order-independent)."""
    return [corr.apply(corruption, seq.keypoints_2d, severity, rng_for(data_seed, "lift", "corrupt", corruption,
                                                                        severity, i))
            for i, seq in enumerate(test)]


def evaluation_conditions(test: Sequence[LiftSequence], cfg: BenchmarkConfig) -> dict[tuple[str, int], WindowSet]:
    """``{(condition, severity): windows}``: clean as ``("clean", 0)``, then every corruption."""
    conds = {(CLEAN, 0): make_windows(test, cfg.eval_stride)}
    for name in cfg.corruptions:
        for severity in cfg.severities:
            conds[(name, severity)] = make_windows(test, cfg.eval_stride,
                                                   corrupted_inputs(test, name, severity, cfg.data_seed))
    return conds


# --------------------------------------------------------------------------------------------
# one run (executed in the parent or in a worker process)

_SHARED: dict = {}


def _init_worker(train: WindowSet, conditions: dict, cfg: BenchmarkConfig, example_key: tuple) -> None:
    _SHARED.update(train=train, conditions=conditions, cfg=cfg, example_key=example_key)


def _run_job(job: tuple[str, str, int]) -> tuple[tuple[str, str, int], dict, dict, tuple[float, float]]:
    """Train one (lifter, variant, seed) and score it on every condition; also its wall and
    CPU seconds (logged only: results must not depend on timing)."""
    lifter, variant, seed = job
    cfg: BenchmarkConfig = _SHARED["cfg"]
    train: WindowSet = _SHARED["train"]
    conditions: dict[tuple[str, int], WindowSet] = _SHARED["conditions"]
    t0, cpu0 = time.time(), time.process_time()
    num_joints = train.inputs.shape[1]
    model = train_lifter(cfg.spec(lifter, variant, num_joints), train, cfg.train_config(seed),
                         cfg.tagn if VARIANTS[variant][0] else None, desc=f"{lifter}/{variant}/s{seed}")
    scores: dict = {}
    example: dict = {}
    for (name, severity), windows in conditions.items():
        pred = predict(model, windows)
        scores.setdefault(name, {})[severity] = pose_errors(pred, windows.targets[windows.centres])
        if (name, severity) == _SHARED["example_key"] and seed == cfg.seeds[0]:
            example = {"pred": pred}
    return job, scores, example, (time.time() - t0, time.process_time() - cpu0)


# --------------------------------------------------------------------------------------------
# aggregation


def _mean_std(values: Sequence[float]) -> dict[str, float]:
    """Mean and sample std (ddof=1; 0 for one value) over seeds."""
    arr = np.asarray(values, np.float64)
    return {"mean": float(arr.mean()), "std": float(arr.std(ddof=1)) if len(arr) > 1 else 0.0}


def corrupted_mean(scores: dict, metric: str = "mpjpe") -> float:
    """Mean of ``metric`` over every corruption and severity of one run (the paper's mean)."""
    return float(np.mean([s[metric] for name, sev in scores.items() if name != CLEAN for s in sev.values()]))


def summarise(runs: dict, cfg: BenchmarkConfig) -> dict:
    """Seed statistics per lifter x variant, and the acceptance checks of the issue.

    ``runs[lifter][variant][seed]`` is one run's ``{condition: {severity: errors}}``.
    """
    summary: dict = {}
    for lifter, by_variant in runs.items():
        summary[lifter] = {}
        for variant, by_seed in by_variant.items():
            seeds = list(by_seed.values())
            entry = {
                "clean_mpjpe": _mean_std([s[CLEAN][0]["mpjpe"] for s in seeds]),
                "clean_p_mpjpe": _mean_std([s[CLEAN][0]["p_mpjpe"] for s in seeds]),
                "corrupted_mpjpe": _mean_std([corrupted_mean(s, "mpjpe") for s in seeds]),
                "corrupted_p_mpjpe": _mean_std([corrupted_mean(s, "p_mpjpe") for s in seeds]),
                "per_corruption": {},
                "per_severity": {},
                "per_joint_clean": np.mean([s[CLEAN][0]["per_joint"] for s in seeds], axis=0).tolist(),
                "per_joint_corrupted": np.mean([[np.mean([s[c][v]["per_joint"][j] for c in cfg.corruptions
                                                          for v in cfg.severities]) for j in range(len(s[CLEAN][0]["per_joint"]))]
                                                for s in seeds], axis=0).tolist(),
            }
            for name in cfg.corruptions:
                entry["per_corruption"][name] = _mean_std([np.mean([s[name][v]["mpjpe"] for v in cfg.severities])
                                                           for s in seeds])
                entry["per_severity"][name] = {str(v): _mean_std([s[name][v]["mpjpe"] for s in seeds])
                                               for v in cfg.severities}
            summary[lifter][variant] = entry
    return {"by_model": summary, "checks": acceptance_checks(summary, cfg)}


def acceptance_checks(summary: dict, cfg: BenchmarkConfig) -> dict:
    """The issue's acceptance criteria, evaluated (and reported, never enforced).

    - the baseline's seed-mean MPJPE rises with severity for every corruption, starting from
      the clean MPJPE (so severity 1 must already be worse than clean);
    - each remedy lowers the seed-mean corrupted MPJPE versus the baseline and raises the clean
      MPJPE by at most 5 %.
    """
    checks: dict = {}
    for lifter, by_variant in summary.items():
        lc: dict = {}
        if "baseline" in by_variant:
            base = by_variant["baseline"]
            lc["baseline_rises_with_severity"] = {   # clean first: severity 1 must already hurt
                name: bool(all(np.diff([base["clean_mpjpe"]["mean"]] + [base["per_severity"][name][str(v)]["mean"]
                                                                       for v in sorted(cfg.severities)]) > 0))
                for name in cfg.corruptions}
            for variant, entry in by_variant.items():
                if variant == "baseline":
                    continue
                clean_ratio = entry["clean_mpjpe"]["mean"] / base["clean_mpjpe"]["mean"]
                delta = entry["corrupted_mpjpe"]["mean"] - base["corrupted_mpjpe"]["mean"]
                lc[variant] = {"corrupted_delta_mm": delta, "clean_ratio": clean_ratio,
                               "passes": bool(delta < 0 and clean_ratio <= 1.05)}
        checks[lifter] = lc
    return checks


def _example(conditions: dict, key: tuple, preds: dict, cfg: BenchmarkConfig) -> dict:
    """One window for the skeleton figure: the 75th-percentile baseline error under ``key``.

    A fixed quantile, not the most flattering window: the figure shows a typical hard case.
    """
    lifter = cfg.lifters[0]
    base = preds.get((lifter, "baseline"))
    robust_name = next((v for v in ("tagn_caconv", "caconv", "tagn") if (lifter, v) in preds), None)
    if base is None or robust_name is None:
        return {}
    windows = conditions[key]
    clean = conditions[(CLEAN, 0)]
    targets = windows.targets[windows.centres]
    err = np.linalg.norm(base - targets, axis=-1).mean(axis=1)
    i = int(np.argsort(err)[int(0.75 * (len(err) - 1))])
    return {
        "lifter": lifter, "condition": key[0], "severity": key[1], "seed": cfg.seeds[0],
        "robust_variant": robust_name,
        "target_3d": targets[i].tolist(),
        "input_2d": windows.inputs[windows.centres[i]].tolist(),
        "clean_2d": clean.inputs[clean.centres[i]].tolist(),
        "baseline_3d": base[i].tolist(),
        "robust_3d": preds[(lifter, robust_name)][i].tolist(),
        "baseline_mpjpe": float(err[i] * 1000),
        "robust_mpjpe": float(np.linalg.norm(preds[(lifter, robust_name)][i] - targets[i], axis=-1).mean() * 1000),
    }


def run_benchmark(train: Sequence[LiftSequence], test: Sequence[LiftSequence], cfg: BenchmarkConfig,
                  conditions: dict[tuple[str, int], WindowSet] | None = None, grid: Any = None) -> dict:
    """Train and evaluate every lifter x variant x seed; the results dict the reports read.

    ``conditions`` / ``grid``: test windows per (corruption, severity) built elsewhere (the video
    path's detections) and the object naming their corruptions and severities (default: the
    keypoint corruptions of ``test`` and ``cfg`` itself).

    Returns:
        ``{"config", "joint_names", "conditions", "runs": {lifter: {variant: {seed: {condition:
        {severity: {"mpjpe", "p_mpjpe", "per_joint"}}}}}}, "summary", "example"}`` (mm; the clean
        condition has severity 0). No timings: the same inputs give the same results.
    """
    from tqdm import tqdm

    train_windows = make_windows(train, 1)
    if conditions is None:
        conditions, grid = evaluation_conditions(test, cfg), cfg
    severities = sorted(grid.severities)
    example_key = (grid.corruptions[0], severities[len(severities) // 2])   # the middle severity
    jobs = [(lifter, variant, seed) for lifter in cfg.lifters for variant in cfg.variants for seed in cfg.seeds]
    log.info("lift benchmark: %d runs (%s x %s x seeds %s), %d training windows, %d test windows x %d conditions, "
             "%d worker(s)", len(jobs), list(cfg.lifters), list(cfg.variants), list(cfg.seeds), len(train_windows),
             len(conditions[(CLEAN, 0)]), len(conditions), cfg.workers)
    args = (train_windows, conditions, cfg, example_key)
    runs: dict = {}
    preds: dict = {}

    def collect(outcomes) -> None:
        for (lifter, variant, seed), scores, example, (wall, cpu) in tqdm(outcomes, total=len(jobs),
                                                                           desc="lift runs", mininterval=5):
            runs.setdefault(lifter, {}).setdefault(variant, {})[seed] = scores
            if example:
                preds[(lifter, variant)] = example["pred"]
            log.info("%s/%s seed %d: clean %.1f mm, corrupted mean %.1f mm (%.1f s wall, %.1f s CPU)", lifter,
                     variant, seed, scores[CLEAN][0]["mpjpe"], corrupted_mean(scores), wall, cpu)

    # in job order, whichever worker ran it; spawned: fork after torch/OpenMP start-up can hang
    collect(map_jobs(_run_job, jobs, cfg.workers, initializer=_init_worker, initargs=args))
    num_joints = train_windows.inputs.shape[1]
    return {
        "config": cfg.as_dict(),
        "joint_names": list(skeleton_for(num_joints)[0]),
        "conditions": [CLEAN] + list(grid.corruptions),
        "runs": {l: {v: {str(s): {c: {str(sev): e for sev, e in by_sev.items()} for c, by_sev in sc.items()}
                         for s, sc in by_seed.items()} for v, by_seed in by_v.items()} for l, by_v in runs.items()},
        "summary": summarise(runs, grid),
        "example": _example(conditions, example_key, preds, grid),
    }


def headline_metrics(results: dict) -> dict:
    """The few numbers ``dvc metrics diff`` should compare: per lifter x variant, seed mean and
    std of clean / mean-corrupted MPJPE and P-MPJPE (mm), and whether each check passed."""
    out: dict = {}
    for lifter, by_variant in results["summary"]["by_model"].items():
        out[lifter] = {}
        for variant, e in by_variant.items():
            out[lifter][variant] = {
                "clean_mpjpe": round(e["clean_mpjpe"]["mean"], 2),
                "clean_mpjpe_std": round(e["clean_mpjpe"]["std"], 2),
                "corrupted_mpjpe": round(e["corrupted_mpjpe"]["mean"], 2),
                "corrupted_mpjpe_std": round(e["corrupted_mpjpe"]["std"], 2),
                "clean_p_mpjpe": round(e["clean_p_mpjpe"]["mean"], 2),
                "corrupted_p_mpjpe": round(e["corrupted_p_mpjpe"]["mean"], 2),
            }
        checks = results["summary"]["checks"].get(lifter, {})
        out[lifter]["checks"] = {
            "baseline_rises_with_severity": bool(all(checks.get("baseline_rises_with_severity", {}).values())),
            **{f"{v}_passes": c["passes"] for v, c in checks.items() if isinstance(c, dict) and "passes" in c},
        }
    return out
