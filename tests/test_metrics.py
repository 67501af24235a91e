import math

import torch

from restore.metrics import psnr, psnr_y, rgb_to_y, ssim


def test_rgb_to_y_matlab_constants():
    assert torch.allclose(rgb_to_y(torch.zeros(3, 1, 1)), torch.tensor(16.0))
    assert torch.allclose(rgb_to_y(torch.full((3, 1, 1), 255.0)), torch.tensor(235.0), atol=1e-4)


def test_psnr_known_value():
    a = torch.zeros(1, 4, 4)
    b = torch.full((1, 4, 4), 10.0)
    assert math.isclose(psnr(a, b), 10 * math.log10(255 ** 2 / 100))
    assert psnr(a, a) == float("inf")


def test_psnr_border_crop_ignores_edges():
    a = torch.zeros(3, 10, 10)
    b = a.clone()
    b[:, 0, :] = 255
    assert psnr_y(a, b, border=1) == float("inf")
    assert psnr_y(a, b, border=0) < 30


def test_ssim_identity_and_noise():
    g = torch.Generator().manual_seed(0)
    a = torch.rand(1, 32, 32, generator=g) * 255
    assert abs(ssim(a, a) - 1) < 1e-9
    noisy = (a + 40 * torch.randn(1, 32, 32, generator=g)).clamp(0, 255)
    assert ssim(a, noisy) < 0.9
