"""The spread of trained results over training seeds and CPU kernels, and which conclusions survive it.

Input: one summary per variant (``studies/spread.py`` writes them): its seed, its kernels
("default", or "lowered" = the stand-in for another CPU type, ``robustpose.other_cpu``) and, per
evaluated run ("<label>/<dataset>"), clean AP, mPC, rPC and mRR. Output: the mean +- sample std over
the default-kernel seeds, the lowered-kernel value beside it, the AdvMix deltas computed within each
variant (a fine-tuned model against the clean model it started from, same seed and kernels), and
the README's conclusions checked in every variant. A conclusion is called robust only when it holds
in all of them.
"""
from __future__ import annotations

import math
import re
from typing import Any, Callable

import pandas as pd

METRICS = ("AP_clean", "mPC", "rPC")
FINE_TUNED = re.compile(r"^(?P<model>[^+]+)\+(?P<strategy>[^/]+)-s(?P<seed>\d+)$")


def scores_from_metrics(metrics: dict[str, dict[str, Any]]) -> dict[str, dict[str, float]]:
    """{"<label>/<dataset>": metrics JSON} -> {"<label>/<dataset>": {AP_clean, mPC, rPC, mRR}}."""
    return {key: {"AP_clean": float(m["clean"]["AP"]), "mPC": float(m["summary"]["mPC"]),
                  "rPC": float(m["summary"]["rPC"]), "mRR": float(m["summary"]["mRR"])}
            for key, m in metrics.items()}
