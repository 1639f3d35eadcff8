"""Sharded evaluation: shards are deterministic and torchrun with 2 ranks equals one process."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from robustpose.evaluate.distributed import World, unshard

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("n", [0, 1, 2, 5, 8])
@pytest.mark.parametrize("size", [1, 2, 3])
def test_round_robin_shards_merge_back_in_order(n, size):
    items = list(range(n))
    parts = [World(rank, size).shard(items) for rank in range(size)]
    assert sorted(x for p in parts for x in p) == items
    assert unshard(parts) == items


SCRIPT = """
import json, sys, torch
from pathlib import Path
from robustpose.evaluate.benchmark import evaluate_model, summarise
from robustpose.evaluate.distributed import close_world, init_world
from robustpose.evaluate.predict import gt_person_boxes
from robustpose.models import model_spec
from robustpose.models.estimator import PoseEstimator
from robustpose.models.net import PoseNet
torch.set_num_threads(1)
root, out = Path(sys.argv[1]), sys.argv[2]
ann_file = root / "val" / "annotations.json"
spec = model_spec("simplebaseline_r18", input_size=(64, 64), base_channels=8, deconv_channels=(8, 8, 8))
est = PoseEstimator(PoseNet(spec, init_seed=3), device=torch.device("cpu"), flip_test=True)
world = init_world()
m = evaluate_model(est, ann_file, root / "val" / "images", root / "corrupted", ["fog"], [1, 3],
                   Path(out).with_suffix(".cache"), "tiny", gt_person_boxes(json.loads(ann_file.read_text())),
                   world=world)
if world.is_main:
    m["summary"] = summarise(m)
    m["world"] = world.size
    Path(out).write_text(json.dumps(m, sort_keys=True))
close_world(world)
"""


@pytest.mark.slow
def test_torchrun_two_ranks_equal_one_process(tmp_path):
    from robustpose.corrupt.dataset import CorruptJob, corrupt_dataset
    from robustpose.data.synthetic import SyntheticConfig, write_split

    ann = write_split(tmp_path / "data" / "val", SyntheticConfig(image_height=64, image_width=64), 0, "val", 7)
    corrupt_dataset(CorruptJob(str(tmp_path / "data" / "val" / "images"), str(tmp_path / "data" / "corrupted" / "fog"),
                               "synthetic", "fog", 0), ann, [1, 3])
    script = tmp_path / "run_eval.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    one, two = tmp_path / "one.json", tmp_path / "two.json"
    subprocess.run([sys.executable, str(script), str(tmp_path / "data"), str(one)], env=env, check=True,
                   capture_output=True, timeout=300)
    run = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                          str(script), str(tmp_path / "data"), str(two)], env=env, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    a, b = json.loads(one.read_text()), json.loads(two.read_text())
    assert (a.pop("world"), b.pop("world")) == (1, 2)
    assert a == b
    cache = sorted(p.name for p in two.with_suffix(".cache").iterdir())
    assert cache == ["clean.json", "fog-1.json", "fog-3.json"]
