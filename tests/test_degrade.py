"""Degradations: Bayer mosaic, Gaussian and camera noise (seeded, physically sensible)."""
from __future__ import annotations

import pytest
import torch

from restore.degrade import (PATTERNS, bayer_masks, camera_noise, check_pattern, gaussian_noise, linear_to_srgb,
                             mosaic, sample_camera, srgb_to_linear)


@pytest.mark.parametrize("pattern", PATTERNS)
def test_mosaic_keeps_the_filtered_colour_at_each_site(pattern):
    rgb = torch.stack([torch.full((4, 6), 10.0), torch.full((4, 6), 20.0), torch.full((4, 6), 30.0)])
    m = mosaic(rgb, pattern)[0]
    value = {"R": 10.0, "G": 20.0, "B": 30.0}
    for k, colour in enumerate(pattern):
        assert bool((m[k // 2::2, k % 2::2] == value[colour]).all())
    masks = bayer_masks(pattern, 4, 6)
    assert bool((masks.sum(0) == 1).all()) and int(masks[1].sum()) == 12      # half the sites are green


def test_unknown_pattern_is_a_clear_error():
    assert check_pattern("rggb") == "RGGB"
    with pytest.raises(ValueError, match="unknown Bayer pattern 'RGBG'; use one of RGGB, BGGR, GRBG, GBRG"):
        mosaic(torch.zeros(3, 4, 4), "RGBG")


def test_srgb_transfer_round_trip():
    x = torch.linspace(0, 1, 1001, dtype=torch.float64)
    assert torch.allclose(linear_to_srgb(srgb_to_linear(x)), x, atol=1e-9)
    assert float(srgb_to_linear(torch.tensor(0.5, dtype=torch.float64))) == pytest.approx(0.2140, abs=1e-4)


def test_gaussian_noise_is_seeded_and_has_its_sigma():
    x = torch.zeros(3, 128, 128, dtype=torch.float64)
    a = gaussian_noise(x, 25.0, torch.Generator().manual_seed(7))
    b = gaussian_noise(x, 25.0, torch.Generator().manual_seed(7))
    assert torch.equal(a, b) and float(a.std()) == pytest.approx(25.0, rel=0.02)


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


def test_jpeg_roundtrip_is_a_real_lossy_save():
    from restore.degrade import jpeg_roundtrip

    x = torch.rand(3, 32, 40, generator=torch.Generator().manual_seed(0))
    lo, hi = jpeg_roundtrip(x, 30), jpeg_roundtrip(x, 95)
    assert lo.shape == x.shape and lo.dtype == x.dtype and bool(((lo >= 0) & (lo <= 1)).all())
    err = lambda y: float((y - x).abs().mean())  # noqa: E731
    assert 0 < err(hi) < err(lo)                       # lossy, and less so at a higher quality
    assert torch.equal(jpeg_roundtrip(x, 80), jpeg_roundtrip(x, 80))
