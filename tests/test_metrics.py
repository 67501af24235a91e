import math

import pytest
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


def _pattern(h: int, w: int, phase: int = 0) -> torch.Tensor:
    """A deterministic H×W image: a diagonal ramp with a 3-pixel checkerboard, wrapped to 0–255."""
    y = torch.arange(h, dtype=torch.float64)[:, None]
    x = torch.arange(w, dtype=torch.float64)[None, :]
    return (x * 9 + y * 5 + 40 * (((x // 3) + (y // 3)) % 2) + phase * 17) % 256


def test_ssim_matches_the_values_of_the_former_torch_implementation():
    # Known outputs of restore's own 11×11 Gaussian (σ=1.5) SSIM, valid region, before ssim became
    # scikit-image's structural_similarity: the same numbers to 1e-6, one plane, a border, a peak and channels.
    from restore.metrics import ssim_y

    a = _pattern(24, 20)[None]
    y = torch.arange(24, dtype=torch.float64)[:, None]
    x = torch.arange(20, dtype=torch.float64)[None, :]
    b = (a + 30 * torch.sin(0.7 * x) * torch.cos(0.4 * y)).clamp(0, 255).round()
    rgb_a = torch.cat([_pattern(24, 20, p)[None] for p in range(3)])
    rgb_b = torch.cat([b, a.flip(-1), (a + b) / 2])
    got = [ssim(a, b), ssim(a, b, border=3), ssim(a / 255, b / 255, peak=1.0), ssim(rgb_a, rgb_b),
           ssim_y(rgb_a, rgb_b, border=2), ssim(a.float()[None], b.float()[None])]
    want = [0.8845834799311096, 0.8766831211631085, 0.8845834799311104, 0.48964924071042276, 0.5135751391150383,
            0.8845834799311096]
    assert all(isinstance(v, float) for v in got)
    assert got == pytest.approx(want, abs=1e-6)


def test_bd_rate_of_a_scaled_curve_and_no_overlap():
    from restore.metrics import bd_rate

    rate = [0.2, 0.4, 0.8, 1.6]
    psnr = [28.0, 31.0, 34.0, 37.0]
    assert bd_rate(rate, psnr, [r * 0.8 for r in rate], psnr) == pytest.approx(-20.0, abs=1e-6)
    assert bd_rate(rate, psnr, [r * 1.5 for r in rate], psnr) == pytest.approx(50.0, abs=1e-6)
    # one dB better everywhere on a 3 dB-per-doubling curve: 2**(-1/3) - 1 of the bits
    assert bd_rate(rate, psnr, rate, [p + 1 for p in psnr]) == pytest.approx((2 ** (-1 / 3) - 1) * 100, abs=0.5)
    assert math.isnan(bd_rate(rate, psnr, rate, [p + 20 for p in psnr]))


def test_ms_ssim_identity_and_degradation():
    from restore.metrics import bpp, ms_ssim

    g = torch.Generator().manual_seed(0)
    a = torch.rand(3, 192, 192, generator=g) * 255
    assert ms_ssim(a, a) == pytest.approx(1.0)
    noise = torch.randn(3, 192, 192, generator=g)
    light, heavy = (ms_ssim(a, (a + noise * s).clamp(0, 255)) for s in (10, 40))
    assert 1 > light > heavy > 0.5
    assert bpp(1000, 100, 80) == 1.0


def test_psnr_b_penalises_blocking_that_psnr_does_not_see():
    from restore.metrics import blocking_effect, psnr, psnr_b

    ramp = (torch.arange(64).view(1, 1, 64) + torch.arange(64).view(1, 64, 1)).double() + 40   # smooth image
    steps = ((torch.arange(64) // 8) % 2 * 4 - 2).double().view(1, 1, 64)                  # ±2 per 8-px block
    blocky, offset = ramp + steps, ramp + 2.0
    assert float(blocking_effect(offset)[0]) == 0                 # differences equal at edges and inside
    assert float(blocking_effect(blocky)[0]) > 0
    assert abs(psnr(blocky, ramp) - psnr(offset, ramp)) < 1e-9    # the same MSE …
    assert psnr_b(blocky, ramp) < psnr(blocky, ramp) - 0.1        # … costs more as blocks
    assert abs(psnr_b(offset, ramp) - psnr(offset, ramp)) < 1e-9
    three = ramp.expand(3, 64, 64)
    assert abs(psnr_b(three + 1, three) - psnr(three + 1, three)) < 1e-9    # per channel, then the mean
