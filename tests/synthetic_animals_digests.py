"""Digests of the synthetic animals generator, printed as JSON (run as a script).

``tests/test_synthetic_animals.py`` runs this in a subprocess with the SIMD dispatch of numpy,
OpenCV, numba, OpenBLAS and glibc's libm lowered (``robustpose.other_cpu.SIMD``: a stand-in for
another x86-64 CPU) and compares it with the same digests computed in-process and with the golden
list committed in ``tests/golden/synthetic_animals_digests.json``.

Usage: python tests/synthetic_animals_digests.py [--write-golden]
(regenerate the golden list only when a change of the generator's output is intended, and say
why in the commit: every data hash of ``prepare@synthetic_animals`` changes with it).
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from robustpose.data.synthetic_animals import (AnimalConfig, coco_annotations,  # noqa: E402
                                               synthesize_split)

GOLDEN = ROOT / "tests" / "golden" / "synthetic_animals_digests.json"
N_IMAGES = 6


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def digests(n_images: int = N_IMAGES) -> dict[str, str]:
    """sha256 (16 hex digits) of the pixels of the first ``n_images`` val images of seed 0 at
    the default config, and of their annotations as sorted JSON."""
    cfg = AnimalConfig()
    out: dict[str, str] = {}
    items = []
    for name, image, animals in synthesize_split(cfg, 0, "val", n_images):
        out[f"synthetic_animals/{name}"] = _sha(np.ascontiguousarray(image).tobytes())
        items.append((name, image.shape[0], image.shape[1], animals))
    out["synthetic_animals/annotations"] = _sha(
        json.dumps(coco_annotations(cfg, items), sort_keys=True).encode())
    return out


def main(argv: list[str]) -> None:
    result = digests()
    if "--write-golden" in argv:
        GOLDEN.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
    json.dump(result, sys.stdout, sort_keys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
