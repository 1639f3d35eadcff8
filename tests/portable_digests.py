"""Digests of everything the pipeline generates from a seed, printed as JSON (run as a script).

``tests/test_portable_determinism.py`` runs this in subprocesses, once as it is and once with
the SIMD dispatch of numpy, OpenCV, numba, OpenBLAS and glibc's libm lowered (a stand-in for
another x86-64 CPU), and compares both with each other and the generators' part with the golden
list committed in ``tests/golden/portable_digests.json``.

Usage: python tests/portable_digests.py [--write-golden]
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from robustpose import corrupt  # noqa: E402
from robustpose.data.synthetic import SyntheticConfig, coco_annotations, synthesize_split  # noqa: E402
from robustpose.evaluate.coco_metrics import coco_keypoint_metrics  # noqa: E402
from robustpose.lift.motion import ACTIONS, make_sequence, subject_bones  # noqa: E402
from robustpose.lift.video import SyntheticFrames  # noqa: E402
from robustpose.seeding import rng_for  # noqa: E402

GOLDEN = ROOT / "tests" / "golden" / "portable_digests.json"


def _sha(*arrays: np.ndarray) -> str:
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:16]


def generators() -> dict[str, str]:
    """The seeded generators: synthetic people images and labels, 3D motion, video frames."""
    out: dict[str, str] = {}
    cfg = SyntheticConfig()
    items = []
    for name, image, people in synthesize_split(cfg, 0, "val", 8):
        out[f"synthetic/{name}"] = _sha(image)
        items.append((name, image.shape[0], image.shape[1], people))
    out["synthetic/annotations"] = hashlib.sha256(
        json.dumps(coco_annotations(cfg, items), sort_keys=True).encode()).hexdigest()[:16]
    bones = subject_bones(rng_for(0, "lift", "subject", 0))
    for action in ACTIONS[:3]:
        seq = make_sequence(0, 0, action, 0, 30, bones)
        out[f"motion/{action}"] = _sha(seq.keypoints_2d, seq.pose_3d)
    seq = make_sequence(0, 1, ACTIONS[0], 1, 4, subject_bones(rng_for(0, "lift", "subject", 1)))
    clip = SyntheticFrames(seed=0)(seq)
    out["video/frames"] = _sha(np.asarray(clip.frames), clip.boxes)
    return out


def engine() -> dict[str, str]:
    """The corruption engine on one synthetic image, and COCO scoring of fixed predictions."""
    out: dict[str, str] = {}
    cfg = SyntheticConfig()
    (name, image, people), = synthesize_split(cfg, 1, "digest", 1)
    boxes = np.array([[p["bbox"][0], p["bbox"][1], p["bbox"][0] + p["bbox"][2], p["bbox"][1] + p["bbox"][3]]
                      for p in people])
    context = {"boxes": boxes, "keypoints": np.stack([p["keypoints"] for p in people])}
    for corruption in corrupt.names():   # every severity: defocus differed at some only
        out[f"corrupt/{corruption}"] = _sha(*(corrupt.apply(image, corruption, s, 7, context=context)
                                              for s in corrupt.SEVERITIES))
    items = list(synthesize_split(cfg, 2, "score", 6))
    ann = coco_annotations(cfg, [(n, im.shape[0], im.shape[1], p) for n, im, p in items])
    rng = np.random.default_rng(3)
    results = []
    for a in ann["annotations"]:
        kp = np.asarray(a["keypoints"], np.float64).reshape(-1, 3)
        kp[:, :2] += rng.normal(0.0, 3.0, size=(len(kp), 2))
        kp[:, 2] = 1.0
        results.append({"image_id": a["image_id"], "category_id": 1, "keypoints": kp.ravel().tolist(),
                        "score": float(rng.uniform(0.5, 1.0))})
    metrics = coco_keypoint_metrics(ann, results)
    out["scoring/coco"] = hashlib.sha256(json.dumps(metrics, sort_keys=True).encode()).hexdigest()[:16]
    return out


def main(argv: list[str]) -> None:
    digests = {**generators(), **engine()}
    if "--write-golden" in argv:
        golden = {k: v for k, v in digests.items() if k.split("/")[0] in ("synthetic", "motion", "video")}
        GOLDEN.write_text(json.dumps(golden, indent=1, sort_keys=True) + "\n")
    json.dump(digests, sys.stdout, sort_keys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
