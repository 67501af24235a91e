"""The real-photo SR degradation chain."""
from __future__ import annotations

import torch

from restore.degrade.realsr import RealDown
from restore.degrade.resize import RESIZE_MODES, RandomResize, resize_to

from .contract import check_op


def test_real_down_gives_8_bit_lr_of_the_scale_and_replays():
    x = torch.rand(3, 64, 48, generator=torch.Generator().manual_seed(0))
    branches = set()
    for seed in range(12):
        y, p = check_op(RealDown(4), x, seed)
        assert y.shape == (3, 16, 12)
        assert torch.equal(y, y.mul(255).round().div(255)) and float(y.min()) >= 0 and float(y.max()) <= 1
        branches.add(p.index)
    assert branches == {0, 1, 2}                  # clean, first order and second order all occur


def test_clean_branch_is_matlab_bicubic():
    from restore.degrade.resize import downscale_to

    x = torch.rand(3, 32, 32, generator=torch.Generator().manual_seed(1))
    y = RealDown(2, clean=1.0)(x, torch.Generator().manual_seed(0))
    assert torch.equal(y, downscale_to(x, 16, 16))


def test_resamplers_reach_the_asked_size_and_keep_flat_areas():
    flat = torch.full((3, 30, 40), 0.25)
    for mode in RESIZE_MODES:
        y = resize_to(flat, 11, 17, mode)
        assert y.shape == (3, 11, 17) and torch.allclose(y, torch.full_like(y, 0.25), atol=1e-5)
    y, p = check_op(RandomResize(10, 20, 1.0, 2.0), torch.rand(3, 30, 40))
    assert 10 <= p.h <= 20 and p.w == round(p.h * 2) or abs(p.w / p.h - 2) < 0.2


def test_the_sensor_noise_includes_a_demosaiced_cameras():
    """The SR chain shares the denoiser's camera pipeline: a third of its noise is raw noise through an ISP."""
    from restore.degrade.isp import CameraPipeline
    from restore.degrade.realsr import sensor_noise

    x = torch.full((3, 24, 24), 0.5)
    kinds = set()
    for seed in range(30):
        _, params = sensor_noise().run(x, torch.Generator().manual_seed(seed))
        kinds.add(type(sensor_noise().ops[params.index]).__name__)
        camera = sensor_noise().find(params, CameraPipeline)
        if camera is not None:
            assert camera.camera.shot <= 0.004 and camera.jpeg is None
    assert kinds == {"GaussianNoise", "PoissonGaussian", "CameraPipeline"}
