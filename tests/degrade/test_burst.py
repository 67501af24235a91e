"""Synthetic handheld bursts: warps, seeded frames, a moving object."""
from __future__ import annotations

import pytest
import torch

from restore.degrade.burst import (FrameMotion, HandheldBurst, apply_burst, sample_burst, sample_motion, synth_burst,
                                   unwarp, warp)
from restore.degrade.compose import same
from restore.degrade.noise import CameraNoiseParams, GaussianNoiseParams

from .contract import check_op, params_over_seeds


def _img(seed: int = 0, h: int = 48, w: int = 64) -> torch.Tensor:
    return torch.rand(3, h, w, generator=torch.Generator().manual_seed(seed))


def test_warp_by_whole_pixels_is_a_shift():
    x = _img(3)
    y = warp(x, FrameMotion(dx=2.0, dy=-1.0))
    assert torch.allclose(y[:, 4:-4, 4:-4], x[:, 3:-5, 6:-2], atol=1e-5)
    assert torch.equal(warp(x, FrameMotion()), x)
    back = unwarp(warp(x, FrameMotion(3.0, 2.0)), FrameMotion(3.0, 2.0))
    assert torch.allclose(back[:, 4:-4, 4:-4], x[:, 4:-4, 4:-4], atol=1e-5)


def test_synthetic_burst_is_seeded_and_carries_a_moving_object():
    clean = _img(4, 64, 96)
    kw = dict(n=6, sigma=10.0, moving_object=True)
    a = synth_burst(clean, gen=torch.Generator().manual_seed(0), **kw)
    b = synth_burst(clean, gen=torch.Generator().manual_seed(0), **kw)
    assert torch.equal(a.frames, b.frames) and a.object_box == b.object_box
    assert a.frames.shape == (6, 3, 64, 96) and a.motions[0] == FrameMotion()
    y, x, s = a.object_box
    noise = (a.frames[0] - a.target)[:, y:y + s, x:x + s]
    assert float(noise.std()) * 255 == pytest.approx(10, rel=0.25)   # frame 0 shows the object where the target does
    sr = synth_burst(clean, 4, torch.Generator().manual_seed(1), scale=2, pattern="RGGB")
    assert sr.frames.shape == (4, 1, 32, 48) and sr.target.shape == (3, 64, 96)
    with pytest.raises(ValueError, match="at least one frame"):
        synth_burst(clean, 0, torch.Generator())


def test_burst_params_are_in_range_and_replay():
    for m in params_over_seeds(lambda g: sample_motion(g, 3.0, 0.5)):
        assert abs(m.dx) < 3 and abs(m.dy) < 3 and abs(m.angle) < 0.5
    ps = params_over_seeds(lambda g: sample_burst(g, (3, 48, 60), 4, moving_object=True), 50)
    for p in ps:
        assert 5 <= p.sigma < 50 and p.motions[0] == FrameMotion() and len(p.noise) == 4
        o = p.moving
        assert o.size == 8 and 0 <= o.y <= 40 and 0 <= o.x <= 44 and abs(o.step_y) <= 0.5 * 8 / 3
        assert all(isinstance(n, GaussianNoiseParams) and n.noise.shape == (3, 48, 60) for n in p.noise)
    clean = _img(5, 48, 60)
    b1, b2 = apply_burst(clean, ps[0]), apply_burst(clean, ps[0])
    assert torch.equal(b1.frames, b2.frames) and torch.equal(b1.target, b2.target)
    a = synth_burst(clean, 4, torch.Generator().manual_seed(0), moving_object=True)
    assert torch.equal(a.frames, b1.frames) and a.object_box == (ps[0].moving.y, ps[0].moving.x, 8)
    cam = sample_burst(torch.Generator().manual_seed(2), (3, 48, 60), 3, scale=2, camera=True, pattern="GRBG")
    assert all(isinstance(n, CameraNoiseParams) and n.camera is cam.noise[0].camera for n in cam.noise)
    assert apply_burst(clean, cam).frames.shape == (3, 1, 24, 30)
    with pytest.raises(ValueError, match="divisible by the scale"):
        sample_burst(None, (3, 47, 60), 3, scale=2)


def test_handheld_burst_op_keeps_the_contract():
    clean = _img(6, 32, 48)
    op = HandheldBurst(frames=5, scale=2, sigma=(0.0, 30.0), moving=0.5)
    frames, p = check_op(op, clean)
    assert frames.shape == (5, 3, 16, 24) and 0 <= p.sigma < 30
    again = sample_burst(torch.Generator().manual_seed(1), clean.shape, 5)
    assert same(again, sample_burst(torch.Generator().manual_seed(1), clean.shape, 5))
    fixed = [check_op(HandheldBurst(frames=2, sigma=12.0, moving=1.0), clean, s)[1] for s in range(5)]
    assert all(q.sigma == 12.0 and q.moving is not None for q in fixed)
