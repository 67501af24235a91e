"""The invertible camera pipeline (white balance, colour matrix, sRGB gamma) and random cameras."""
from __future__ import annotations

import torch

from restore.degrade.camera import camera_to_srgb, sample_camera, srgb_to_camera, wb_gains

from .contract import params_over_seeds


def test_random_cameras_are_seeded_and_in_range():
    for p in params_over_seeds(lambda g: sample_camera(g, 0.012)):
        assert 1e-4 <= p.shot <= 0.012 and p.read > 0
        assert 1.9 <= p.red_gain <= 2.4 and 1.5 <= p.blue_gain <= 1.9
        assert all(abs(sum(row) - 1) < 1e-3 for row in p.cam_to_rgb)     # grey stays grey


def test_the_isp_inverts():
    p = sample_camera(torch.Generator().manual_seed(0))
    rgb = torch.rand(3, 16, 16, generator=torch.Generator().manual_seed(1), dtype=torch.float64) * 0.5 + 0.25
    cam = srgb_to_camera(rgb, p)
    assert float(cam.min()) >= 0 and float(cam.max()) <= 1
    assert torch.allclose(camera_to_srgb(cam, p), rgb, atol=1e-3)
    assert wb_gains(p).shape == (3, 1, 1) and float(wb_gains(p)[1]) == 1.0
