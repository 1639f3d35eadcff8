"""Top-down training: augmentation geometry, flips, and that a few steps lower the loss."""
from __future__ import annotations

import io

import numpy as np
import pytest
import torch

from robustpose.data.coco_format import Instance
from robustpose.data.synthetic import SyntheticConfig, write_split
from robustpose.models import model_spec
from robustpose.models.net import PoseNet, checkpoint_payload
from robustpose.seeding import rng_for
from robustpose.train.data import load_trainset
from robustpose.train.synthetic_trainset import synthetic_trainset
from robustpose.train.topdown import (TrainConfig, augmented_sample, flip_keypoints, lr_at, make_batch,
                                      train_topdown)


def test_flip_swaps_left_and_right():
    kps = np.zeros((17, 3))
    kps[5] = [10, 20, 2]   # left shoulder
    kps[6] = [30, 20, 1]   # right shoulder
    out = flip_keypoints(kps, 100, "coco")
    np.testing.assert_array_equal(out[6], [89, 20, 2])
    np.testing.assert_array_equal(out[5], [69, 20, 1])


def test_augmented_keypoints_follow_the_image():
    """A bright dot at a keypoint stays under the transformed keypoint after augmentation."""
    img = np.zeros((100, 80, 3), np.uint8)
    img[40:43, 30:33] = 255
    kps = np.zeros((17, 3))
    kps[0] = [31, 41, 2]
    inst = Instance(1, 1, np.array([10.0, 10, 50, 70]), kps, 3500.0)
    cfg = TrainConfig(rotation_deg=40, scale_range=0.3, flip_prob=0.5)
    for step in range(6):
        crop, xy, vis = augmented_sample(img, inst, rng_for(0, step), cfg, (64, 48), "coco")
        # after a flip the dot is keypoint 0 still (nose has no pair)
        x, y = np.round(xy[0]).astype(int)
        assert vis[0] == 1 and crop[max(y - 1, 0):y + 2, max(x - 1, 0):x + 2].max() > 100


def test_photometric_autoaugment_changes_pixels_not_labels():
    """``photometric: autoaugment`` recolours the crop (the augmentation grid's third level) and
    leaves the keypoints where the geometric augmentation put them; ``none`` draws nothing extra."""
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (100, 80, 3), dtype=np.uint8)
    kps = np.concatenate([rng.uniform(15, 60, (17, 2)), np.full((17, 1), 2.0)], axis=1)
    inst = Instance(1, 1, np.array([10.0, 10, 50, 70]), kps, 3500.0)
    plain, auto = TrainConfig(), TrainConfig(photometric="autoaugment")
    changed = 0
    for step in range(8):
        a = augmented_sample(img, inst, rng_for(0, step), plain, (64, 48), "coco")
        b = augmented_sample(img, inst, rng_for(0, step), auto, (64, 48), "coco")
        assert np.array_equal(a[1], b[1]) and np.array_equal(a[2], b[2])
        changed += not np.array_equal(a[0], b[0])
    assert changed >= 4
    with pytest.raises(ValueError, match="train.photometric"):
        TrainConfig(photometric="randaugment")


def test_lr_schedule_warms_up_and_decays():
    cfg = TrainConfig(steps=100, warmup_steps=10, lr=1e-3)
    assert lr_at(0, cfg) == pytest.approx(1e-4)
    assert lr_at(9, cfg) == pytest.approx(1e-3)
    assert lr_at(99, cfg) < 1e-5


def test_config_validation():
    with pytest.raises(ValueError, match="train.steps"):
        TrainConfig(steps=0)
    with pytest.raises(ValueError, match="train.lr"):
        TrainConfig(lr=3.0)


def test_a_few_steps_lower_the_loss_and_are_reproducible():
    data = synthetic_trainset(SyntheticConfig(image_height=96, image_width=96), 0, "t", 8)
    spec = model_spec("simplebaseline_r18", input_size=(64, 64), base_channels=8, deconv_channels=(16, 16, 16))
    cfg = TrainConfig(steps=30, batch_size=8, warmup_steps=2, lr=3e-3, seed=1)
    x, y = make_batch(PoseNet(spec, init_seed=0), data, np.arange(8) % len(data.instances), rng_for(1, "probe"), cfg)

    def loss_of(net):
        net.eval()
        with torch.no_grad():
            return float(net.loss(net(x), y))

    fresh = PoseNet(spec, init_seed=5)
    before = loss_of(fresh)
    logs = []
    a = train_topdown(fresh, data, cfg, on_log=lambda s, v: logs.append(v["loss"]), log_every=10)
    assert loss_of(a) < before
    assert len(logs) == 3
    b = train_topdown(PoseNet(spec, init_seed=5), data, cfg)
    # bit-identical: the same params must give the same checkpoint bytes (DVC hashes the file)
    def ckpt_bytes(net):
        buf = io.BytesIO()
        torch.save(checkpoint_payload(net, {"train": dict(vars(cfg))}), buf)
        return buf.getvalue()

    assert ckpt_bytes(a) == ckpt_bytes(b)
    assert ckpt_bytes(a) != ckpt_bytes(fresh.__class__(spec, init_seed=5))


def test_one_flip_permutation_serves_training_the_flip_test_and_mmpose():
    from robustpose.data.keypoints import COCO_FLIP_PAIRS, flip_permutation
    from robustpose.models import model_spec
    from robustpose.models.mmpose_inference import flip_indices
    from robustpose.models.net import PoseNet

    coco = flip_permutation(COCO_FLIP_PAIRS, 17)
    assert coco == [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15]   # mmpose's coco flip_indices
    assert [coco[i] for i in coco] == list(range(17))                            # an involution
    assert flip_indices("coco") == coco
    assert PoseNet(model_spec("simplebaseline_r18", base_channels=8, deconv_channels=(8, 8)), init_seed=0).flip_indices == coco
    kps = np.arange(17 * 3, dtype=np.float32).reshape(17, 3)
    flipped = flip_keypoints(kps, 100, "coco")
    assert np.array_equal(flipped[:, 1:], kps[coco, 1:]) and np.array_equal(flipped[:, 0], 99 - kps[coco, 0])
    assert flip_indices("ap10k")[:2] == [1, 0] and flip_indices("mpii")[0] == 5
    # the animal model swaps AP-10K's eyes, legs and paws, in training and in its flip test alike
    animal = PoseNet(model_spec("simplebaseline_r18_animal", base_channels=8, deconv_channels=(8, 8)), init_seed=0)
    assert animal.flip_indices == flip_indices("ap10k") != coco
    assert np.array_equal(flip_keypoints(kps, 100, "ap10k")[:, 1:], kps[flip_indices("ap10k"), 1:])


def test_the_in_memory_trainset_is_the_prepared_split_read_back(tmp_path):
    """Tests and benchmarks train on what the train stage would read from a prepared split."""
    cfg = SyntheticConfig(image_height=64, image_width=64)
    write_split(tmp_path, cfg, 0, "t", 3)
    disk, memory = load_trainset(str(tmp_path)), synthetic_trainset(cfg, 0, "t", 3)
    assert len(memory.instances) == len(disk.instances) > 0
    for a, b in zip(memory.images, disk.images):
        np.testing.assert_array_equal(a, b)
    for (i, a), (j, b) in zip(memory.instances, disk.instances):
        assert (i, a.ann_id, a.image_id, a.area) == (j, b.ann_id, b.image_id, b.area)
        np.testing.assert_array_equal(a.bbox, b.bbox)
        np.testing.assert_array_equal(a.keypoints, b.keypoints)


def test_warm_start_copies_all_but_the_output_layer():
    """warmstart@: the animal model starts from the human model's backbone and deconvolutions,
    never from its per-keypoint output layer (a wrist is not a paw)."""
    import torch
    from robustpose.models.net import PoseNet, transfer_weights

    small = dict(base_channels=8, deconv_channels=(8, 8))
    human = PoseNet(model_spec("simplebaseline_r18", **small), init_seed=0)
    animal = PoseNet(model_spec("simplebaseline_r18_animal", **small), init_seed=1)
    before = {k: v.clone() for k, v in animal.state_dict().items()}
    copied = transfer_weights(animal, human.state_dict())
    after = animal.state_dict()
    assert any(k.startswith("backbone.") for k in copied) and any(k.startswith("head.deconv") for k in copied)
    assert not any(k.startswith("head.final_layer.") for k in copied)
    for k in after:
        source = human.state_dict()[k] if k in copied else before[k]
        assert torch.equal(after[k], source), k
    foreign = {"features.0.weight": torch.zeros(8, 3, 3, 3)}   # not one of our networks: nothing matches
    with pytest.raises(ValueError, match="no backbone tensor"):
        transfer_weights(animal, foreign)
