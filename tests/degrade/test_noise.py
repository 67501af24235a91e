"""Noise: Gaussian, Poisson-Gaussian and the camera model (seeded, physically sensible, pure to apply)."""
from __future__ import annotations

import pytest
import torch

from restore.degrade.compose import same
from restore.degrade.noise import (CameraNoise, GaussianNoise, PoissonGaussian, PoissonGaussianParams,
                                   apply_camera_noise, apply_gaussian_noise, apply_poisson_gaussian, camera_noise,
                                   gaussian_noise, noise_sd, sample_camera, sample_camera_noise,
                                   sample_gaussian_noise, sample_poisson_gaussian)

from .contract import check_op, params_over_seeds


def test_gaussian_noise_is_seeded_and_has_its_sigma():
    x = torch.zeros(3, 128, 128, dtype=torch.float64)
    a = gaussian_noise(x, 25.0, torch.Generator().manual_seed(7))
    b = gaussian_noise(x, 25.0, torch.Generator().manual_seed(7))
    assert torch.equal(a, b) and float(a.std()) == pytest.approx(25.0, rel=0.02)
    p = sample_gaussian_noise(torch.Generator().manual_seed(7), x.shape, 25.0, x.dtype)
    assert torch.equal(apply_gaussian_noise(x, p), a) and p.noise.dtype == torch.float64


def test_gaussian_sigma_is_drawn_in_its_range():
    for p in params_over_seeds(lambda g: sample_gaussian_noise(g, (2, 3), (0.1, 0.3)), 100):
        assert 0.1 <= p.sigma < 0.3 and p.noise.shape == (2, 3)
    y, p = check_op(GaussianNoise((0.0, 0.3)), torch.rand(3, 16, 16))
    assert 0 <= p.sigma < 0.3


def test_poisson_gaussian_noise_grows_with_the_signal():
    x = torch.cat([torch.full((1, 64, 64), 0.1), torch.full((1, 64, 64), 0.8)])
    p = sample_poisson_gaussian(torch.Generator().manual_seed(0), x.shape, shot=0.004, read=2 / 255)
    assert p.shot == 0.004 and p.read == 2 / 255
    y = apply_poisson_gaussian(x, p)
    for i in range(2):
        want = (0.004 * float(x[i, 0, 0]) + (2 / 255) ** 2) ** 0.5
        assert float((y[i] - x[i]).std()) == pytest.approx(want, rel=0.05)
        assert float(noise_sd(x[i], p).mean()) == pytest.approx(want, rel=1e-5)
    assert float(y.min()) >= 0 and float(y.max()) <= 1
    per_image = PoissonGaussianParams(torch.tensor([0.0, 0.002]).view(2, 1, 1), 0.0, p.noise)
    assert float(noise_sd(x, per_image)[0].max()) == 0.0               # per-image gains broadcast


def test_poisson_gaussian_params_are_in_range():
    for p in params_over_seeds(lambda g: sample_poisson_gaussian(g, (4,), (0.0, 0.004), (0.0, 0.08)), 100):
        assert 0 <= p.shot < 0.004 and 0 <= p.read < 0.08
    check_op(PoissonGaussian(), torch.rand(1, 16, 16))


def test_camera_noise_is_invertible_without_noise_and_grows_with_light():
    g = torch.Generator().manual_seed(3)
    rgb = torch.rand(3, 64, 64, generator=g, dtype=torch.float64) * 0.8 + 0.1
    p = sample_camera(torch.Generator().manual_seed(0))
    assert 1e-4 <= p.shot <= 0.012 and p.read > 0
    quiet = type(p)(0.0, 0.0, p.red_gain, p.blue_gain, p.cam_to_rgb)
    # the inverse ISP and the ISP cancel (up to clipping of out-of-gamut camera values)
    assert (camera_noise(rgb, quiet) - rgb).abs().mean() < 1e-3
    noisy = camera_noise(rgb, p, torch.Generator().manual_seed(1))
    assert torch.equal(noisy, camera_noise(rgb, p, torch.Generator().manual_seed(1)))
    strong = type(p)(p.shot * 20, p.read, p.red_gain, p.blue_gain, p.cam_to_rgb)
    assert (camera_noise(rgb, strong, torch.Generator().manual_seed(1)) - rgb).std() > (noisy - rgb).std()
    raw = camera_noise(rgb, p, torch.Generator().manual_seed(1), pattern="GRBG")
    assert raw.shape == (1, 64, 64) and float(raw.min()) >= 0


def test_camera_noise_params_replay():
    rgb = torch.rand(3, 32, 32, generator=torch.Generator().manual_seed(4))
    a = sample_camera_noise(torch.Generator().manual_seed(5), rgb.shape)
    b = sample_camera_noise(torch.Generator().manual_seed(5), rgb.shape)
    assert same(a, b) and a.noise.shape == (3, 32, 32)
    assert torch.equal(apply_camera_noise(rgb, a), apply_camera_noise(rgb, b))
    assert sample_camera_noise(None, (2, 3, 8, 8), pattern="RGGB").noise.shape == (2, 1, 8, 8)
    y, p = check_op(CameraNoise(), rgb)
    assert y.shape == rgb.shape and 1e-4 <= p.camera.shot <= 0.012
    gray, _ = check_op(CameraNoise(), rgb[:1])                        # a gray plane: a camera sees three
    assert gray.shape == (3, 32, 32)
