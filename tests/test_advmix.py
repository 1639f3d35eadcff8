"""AdvMix: mixing math by hand, the generator's direction, distillation, reproducibility, config."""
from __future__ import annotations

import io
import math

import numpy as np
import pytest
import torch

from robustpose.data.synthetic import SyntheticConfig
from robustpose.models import model_spec
from robustpose.models.net import PoseNet
from robustpose.seeding import rng_for
from robustpose.train import advmix as A
from robustpose.train.synthetic_trainset import synthetic_trainset
from robustpose.train.topdown import TrainConfig

TINY = dict(input_size=(64, 64), base_channels=8, deconv_channels=(16, 16, 16))
CFG = TrainConfig(steps=3, batch_size=4, warmup_steps=1, lr=1e-3, seed=1, threads=1)


@pytest.fixture(scope="module")
def data():
    return synthetic_trainset(SyntheticConfig(image_height=96, image_width=96), 0, "advmix-test", 6)


@pytest.fixture(scope="module")
def teacher():
    return PoseNet(model_spec("simplebaseline_r18", **TINY), init_seed=0).eval()


def _bytes(module: torch.nn.Module) -> bytes:
    buf = io.BytesIO()
    torch.save(module.state_dict(), buf)
    return buf.getvalue()


# ------------------------------------------------------------------------------ mixing math


def test_per_pixel_mix_by_hand():
    """2 proposals, 2x2 pixels, known logits -> the mixed pixels worked out on paper."""
    a = torch.tensor([[0.0, 10.0], [20.0, 30.0]], dtype=torch.float64)
    b = torch.full((2, 2), 100.0, dtype=torch.float64)
    props = torch.stack([a, b])[None, :, None]                       # (N=1, P=2, C=1, 2, 2)
    logits_a = torch.tensor([[0.0, 0.0], [math.log(3), 0.0]], dtype=torch.float64)
    logits_b = torch.tensor([[0.0, math.log(3)], [0.0, math.log(0.25)]], dtype=torch.float64)
    logits = torch.stack([logits_a, logits_b])[None]                 # (1, 2, 2, 2)
    weights = A.mixing_weights("advmix", tuple(props.shape), rng_for(0), logits)
    # softmax: (1/2, 1/2), (1/4, 3/4), (3/4, 1/4), (0.8, 0.2)
    np.testing.assert_allclose(weights[0, 0].numpy(), [[0.5, 0.25], [0.75, 0.8]], rtol=1e-12)
    mixed = A.mix_images(props, weights)[0, 0].numpy()
    np.testing.assert_allclose(mixed, [[50.0, 77.5], [40.0, 44.0]], rtol=1e-12)

    # per image: softmax of the spatial mean logits; mean(a) - mean(b) = ln(4) / 4
    w_a = 1.0 / (1.0 + 4 ** -0.25)
    image_w = A.mixing_weights("advmix_image", tuple(props.shape), rng_for(0), logits)
    assert image_w.shape == (1, 2, 1, 1)
    np.testing.assert_allclose(A.mix_images(props, image_w)[0, 0].numpy(),
                               w_a * a.numpy() + (1 - w_a) * 100.0, rtol=1e-12)


@pytest.mark.parametrize("strategy", ["equal", "dirichlet", "advmix_image", "advmix"])
def test_weights_sum_to_one_at_every_pixel(strategy):
    shape = (3, 4, 3, 8, 6)
    logits = torch.randn(3, 4, 8, 6, generator=torch.Generator().manual_seed(0)) * 5
    w = A.mixing_weights(strategy, shape, rng_for(0, strategy), logits)
    assert w.shape[:2] == (3, 4) and (w >= 0).all()
    np.testing.assert_allclose(w.sum(dim=1).numpy(), 1.0, rtol=1e-6)
    if strategy == "equal":
        assert torch.equal(w, torch.full((3, 4, 1, 1), 0.25))
    if strategy == "dirichlet":   # reproducible; the original gets 1 - m, m ~ Beta(1, 1)
        assert torch.equal(w, A.mixing_weights(strategy, shape, rng_for(0, strategy)))
        assert len(set(w[:, 0].flatten().tolist())) == 3


def test_attention_stats_on_uniform_and_one_hot_weights():
    uniform = A.attention_stats(torch.full((2, 4, 5, 5), 0.25))
    assert uniform["attn_max"] == pytest.approx(0.25)
    assert uniform["attn_entropy"] == pytest.approx(math.log(4))
    assert [uniform[f"attn_argmax_{i}"] for i in range(4)] == pytest.approx([0.25] * 4)
    one_hot = torch.zeros(2, 4, 5, 5)
    one_hot[:, 1, :, :3] = 1.0
    one_hot[:, 3, :, 3:] = 1.0
    stats = A.attention_stats(one_hot)
    assert stats["attn_max"] == pytest.approx(1.0) and stats["attn_entropy"] == pytest.approx(0.0, abs=1e-9)
    assert [stats[f"attn_argmax_{i}"] for i in range(4)] == pytest.approx([0.0, 0.6, 0.0, 0.4])


# ------------------------------------------------------------------------------ generator


@pytest.mark.parametrize("hw, depth", [((128, 96), 5), ((256, 192), 6), ((384, 288), 5), ((64, 64), 6), ((64, 48), 4)])
def test_unet_depth_follows_the_input_size(hw, depth):
    assert A.unet_depth(hw) == depth


def test_generator_maps_proposals_to_per_pixel_logits():
    mix = A.MixConfig(k=3, generator_width=4, noise_channels=2)
    gen = A.build_generator((128, 96), mix, seed=7)
    props = torch.randn(2, 4, 3, 128, 96)
    x = A.generator_input(props, rng_for(0), mix.noise_channels)
    assert x.shape == (2, 14, 128, 96)
    assert gen(x).shape == (2, 4, 128, 96)
    assert _bytes(gen) == _bytes(A.build_generator((128, 96), mix, seed=7))
    restored = A.generator_from_payload(A.generator_payload(gen))
    assert torch.equal(restored(x), gen.eval()(x))
    with pytest.raises(ValueError, match="even"):
        A.unet_depth((65, 64))


def test_generator_step_raises_the_students_loss_and_leaves_the_student_alone(data, teacher):
    student = A.student_from_teacher(teacher)
    with torch.no_grad():   # an untrained head outputs ~0 whatever the input: give it a real response
        student.head.final_layer.weight.normal_(0.0, 0.2, generator=torch.Generator().manual_seed(0))
    mix = A.MixConfig(generator_width=8)
    gen = A.build_generator((64, 64), mix, seed=1)
    opt_g = torch.optim.Adam(gen.parameters(), lr=1e-2)
    batch = A.step_batch(student.spec, data, CFG, mix, step=0)
    _, props, y = A.batch_tensors(student, batch)

    def loss_now() -> float:
        with torch.no_grad(), A._student_frozen(student):
            return float(student.loss(student(A._mix("advmix", gen, props, rng_for(0), mix)[1]), y))

    before, state = loss_now(), _bytes(student)
    for _ in range(3):
        A.generator_step(student, opt_g, A._mix("advmix", gen, props, rng_for(0), mix)[1], y, 1e-2)
    assert loss_now() > before * 1.01                                 # ~ +3% (sign flipped: -5%)
    assert _bytes(student) == state                                   # weights and BN statistics
    assert all(p.requires_grad for p in student.parameters())


def test_generator_lr_decays_like_the_paper():
    assert A.generator_lr_at(0, 210, 1e-3) == pytest.approx(1e-3)
    assert A.generator_lr_at(169, 210, 1e-3) == pytest.approx(1e-3)
    assert A.generator_lr_at(170, 210, 1e-3) == pytest.approx(1e-4)
    assert A.generator_lr_at(200, 210, 1e-3) == pytest.approx(1e-5)


# ------------------------------------------------------------------------------ losses


@pytest.mark.parametrize("name", ["simplebaseline_r18", "simcc_r18"])
def test_distillation_loss_vanishes_for_the_teacher_itself(name, data):
    spec = model_spec(name, **TINY)
    net = PoseNet(spec, init_seed=0).eval()
    batch = A.step_batch(spec, data, CFG, A.MixConfig(strategy="standard"), step=0)
    x, _, y = A.batch_tensors(net, batch)
    with torch.no_grad():
        out = net(x)
        assert float(A.distillation_loss(net, out, out, y["weights"])) == pytest.approx(0.0, abs=1e-7)
        # a fresh head outputs ~0 for any input: compare with a clearly different target instead
        g = torch.Generator().manual_seed(0)
        other = (torch.rand(out.shape, generator=g) if torch.is_tensor(out)
                 else tuple(torch.randn(o.shape, generator=g) for o in out))
        assert float(A.distillation_loss(net, out, other, y["weights"])) > 1e-3


# ------------------------------------------------------------------------------ training loop


def test_advmix_training_is_bit_reproducible_and_logs_its_losses(data, teacher):
    mix = A.MixConfig(strategy="advmix", generator_width=8)
    teacher_state = _bytes(teacher)
    logs = []
    s1, g1, stats = A.train_advmix(A.student_from_teacher(teacher), teacher, data, CFG, mix,
                                   on_log=lambda step, v: logs.append((step, v)), log_every=2)
    s2, g2, _ = A.train_advmix(A.student_from_teacher(teacher), teacher, data, CFG, mix)
    assert _bytes(s1) == _bytes(s2) and _bytes(g1) == _bytes(g2)
    assert _bytes(s1) != teacher_state                               # the student learnt
    assert _bytes(teacher) == teacher_state                          # the teacher did not
    assert [step for step, _ in logs] == [2, 3]
    final = logs[-1][1]
    for key in ("loss", "pose_loss", "kd_loss", "generator_loss", "attn_max", "attn_entropy", "generator_lr"):
        assert key in final
    assert final["generator_loss"] < 0 < final["pose_loss"]
    assert 0.25 <= final["attn_max"] <= 1.0 and 0.0 <= final["attn_entropy"] <= math.log(4) + 1e-6
    assert sum(final[f"attn_argmax_{i}"] for i in range(4)) == pytest.approx(1.0)
    assert stats["final"]["step"] == 3 and len(stats["history"]) == 2


def test_strategies_without_a_generator_or_a_teacher(data, teacher):
    cfg = TrainConfig(steps=1, batch_size=4, warmup_steps=1, seed=2, threads=1)
    for strategy in ("standard", "sequential", "dirichlet"):
        student, gen, stats = A.train_advmix(A.student_from_teacher(teacher), None, data, cfg,
                                             A.MixConfig(strategy=strategy, alpha=0.0))
        assert gen is None and "kd_loss" not in stats["final"] and "generator_loss" not in stats["final"]
    with pytest.raises(ValueError, match="needs a teacher"):
        A.train_advmix(A.student_from_teacher(teacher), None, data, cfg, A.MixConfig(alpha=0.5))


def test_standard_batches_are_the_plain_crops(data, teacher):
    mix = A.MixConfig(strategy="standard")
    batch = A.step_batch(teacher.spec, data, CFG, mix, step=4)
    assert batch.images.shape[1] == 1
    np.testing.assert_array_equal(batch.images[:, 0], batch.originals)
    originals, props, _ = A.batch_tensors(teacher, batch)
    weights, mixed = A._mix("standard", None, props, rng_for(0), mix)
    assert torch.equal(mixed, originals)
    # every strategy sees the same instances and base crops at a step (paired comparisons)
    other = A.step_batch(teacher.spec, data, CFG, A.MixConfig(strategy="advmix"), step=4)
    np.testing.assert_array_equal(other.originals, batch.originals)
    np.testing.assert_array_equal(other.images[:, 0], batch.originals)
    np.testing.assert_array_equal(other.xy, batch.xy)


def test_mixing_examples_for_a_figure(data, teacher):
    mix = A.MixConfig(strategy="equal")
    ex = A.mixing_examples(teacher.spec, None, data, CFG, mix, step=0, count=3)
    assert ex["proposals"].shape == (3, 4, 64, 64, 3) and ex["attention"].shape == (3, 4, 64, 64)
    np.testing.assert_allclose(ex["attention"].sum(axis=1), 1.0, rtol=1e-6)
    mean = ex["proposals"].astype(np.float64).mean(axis=1)
    assert np.abs(ex["mixed"] - mean).max() <= 0.5 + 1e-4
    gen = A.build_generator((64, 64), A.MixConfig(generator_width=8), seed=0)
    ex = A.mixing_examples(teacher.spec, gen, data, CFG, A.MixConfig(generator_width=8), count=2)
    assert ex["mixed"].dtype == np.uint8 and ex["keypoints"].shape == (2, 17, 2)
    with pytest.raises(ValueError, match="generator"):
        A.mixing_examples(teacher.spec, None, data, CFG, A.MixConfig(), count=2)


def test_smoothed_attention_cannot_alternate_from_pixel_to_pixel():
    """A per-pixel checkerboard (the transposed convolutions' artefact the adversary exploits)
    averages out on any even cell; block-constant logits survive the pooling exactly."""
    checker = torch.from_numpy(np.indices((16, 24)).sum(axis=0) % 2 * 2.0 - 1.0).float()
    logits = torch.stack([checker, -checker, 0 * checker]).unsqueeze(0)     # (1, 3, 16, 24)
    assert torch.equal(A.smooth_logits(logits, 1), logits)
    smooth = A.smooth_logits(logits, 4)
    assert smooth.shape == logits.shape and smooth.abs().max() < 1e-6
    w = A.mixing_weights("advmix", (1, 3, 3, 16, 24), rng_for(0), smooth)
    torch.testing.assert_close(w, torch.full_like(w, 1 / 3))
    blocks = torch.arange(6.0).view(1, 1, 2, 3).repeat_interleave(8, 2).repeat_interleave(8, 3)   # 8x8 blocks
    coarse = torch.nn.functional.avg_pool2d(A.smooth_logits(blocks, 8), 8)
    assert (coarse.diff(dim=-1) > 0.5).all() and (coarse.diff(dim=-2) > 1.5).all()   # block order kept
    odd = A.smooth_logits(torch.ones(1, 2, 10, 14), 4)        # partial border cells keep a constant map
    torch.testing.assert_close(odd, torch.ones(1, 2, 10, 14))


def test_generator_attention_is_smooth_with_a_cell(data, teacher):
    mix = A.MixConfig(generator_width=8, attention_cell=8)
    gen = A.build_generator((64, 64), mix, seed=0)
    fine = A.mixing_examples(teacher.spec, gen, data, CFG, A.MixConfig(generator_width=8, attention_cell=1),
                             count=2)["attention"]
    coarse = A.mixing_examples(teacher.spec, gen, data, CFG, mix, count=2)["attention"]
    np.testing.assert_allclose(coarse.sum(axis=1), 1.0, rtol=1e-5)
    step = lambda a: np.abs(np.diff(a, axis=-1)).max()    # largest change between neighbouring pixels
    assert step(coarse) < step(fine) / 3


@pytest.mark.parametrize("kwargs, match", [
    (dict(strategy="cutmix"), "advmix.strategy"),
    (dict(attention_cell=0), "advmix.attention_cell"),
    (dict(alpha=1.5), "advmix.alpha"),
    (dict(k=0), "advmix.k"),
    (dict(kd_input="clean"), "advmix.kd_input"),
    (dict(strategy="advmix", geometric=True), "aligned"),
    (dict(strategy="sequential", geometric=True), "kd_input"),
])
def test_config_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        A.MixConfig(**kwargs)
    A.MixConfig(strategy="sequential", geometric=True, kd_input="mixed")   # a valid combination


def test_rows_without_a_teacher_ignore_the_grids_alpha():
    """One ``advmix.alpha`` serves the whole ablation grid: the plain fine-tuning control and
    "AdvMix w/o KD" (Table 7) never distil, every other row keeps the value."""
    assert A.mix_config("standard", alpha=0.5).alpha == 0.0
    nokd = A.mix_config("advmix_nokd", alpha=0.5, attention_cell=8)
    assert (nokd.alpha, nokd.attention_cell, A.STRATEGIES[nokd.strategy].weights) == (0.0, 8, "generator_pixel")
    assert A.mix_config("advmix", alpha=0.5).alpha == 0.5 and A.mix_config("equal", alpha=0.3).alpha == 0.3
    with pytest.raises(ValueError, match="advmix.strategy 'cutmix' is unknown"):
        A.mix_config("cutmix", alpha=0.5)
