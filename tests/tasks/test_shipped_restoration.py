"""The shipped denoising and demosaicing weights on an example crop: real gains over the input and anchors."""
from __future__ import annotations

import torch

import restore
from restore.degrade import mosaic
from restore.io import Image
from restore.metrics import psnr
from restore.archs.demosaicnet import bilinear_demosaic
from restore.recipes.data import load_rgb_u8

from helpers import EXAMPLES


def _crop() -> torch.Tensor:
    return load_rgb_u8(EXAMPLES / "coffee.png").float()[:, 100:228, 200:328] / 255


def test_shipped_denoiser_given_and_blind_at_sigma_25():
    clean = _crop()
    noisy = clean + 25 / 255 * torch.randn(clean.shape, generator=torch.Generator().manual_seed(25))
    m = restore.load("denoise")
    score = lambda x: psnr(x.clamp(0, 1) * 255, clean * 255)  # noqa: E731
    given = score(m(Image(noisy), sigma=25).pixels)
    blind = score(m(Image(noisy)).pixels)
    assert given > score(noisy) + 10                     # 20.9 dB in, 33.7 dB out when measured
    assert blind > given - 0.3                           # the bar for blind mode
    gray_clean = clean.mean(0, keepdim=True)             # gray input goes through the colour model
    gray_noisy = gray_clean + 25 / 255 * torch.randn(gray_clean.shape, generator=torch.Generator().manual_seed(5))
    gray = m(Image(gray_noisy), sigma=25)
    gray_score = lambda x: psnr(x.clamp(0, 1) * 255, gray_clean * 255)  # noqa: E731
    # gray noise is the same in all three channels the colour model sees (trained with gray samples): 20.5 → 33.1
    assert gray.channels == 1 and gray_score(gray.pixels) > gray_score(gray_noisy) + 10


def test_shipped_demosaicer_beats_bilinear_and_handles_missing_sites():
    clean = _crop()
    m = restore.load("demosaic")
    bayer = mosaic(clean, "GBRG")
    out = m(Image(bayer), pattern="GBRG").pixels
    base = bilinear_demosaic(mosaic(clean[:, 1:-1], "RGGB")[None])[0]     # GBRG shifted by one row is RGGB
    score = lambda x, ref: psnr(x.clamp(0, 1) * 255, ref * 255, border=8)  # noqa: E731
    assert score(out, clean) > score(base, clean[:, 1:-1]) + 4          # 39.6 vs 33.7 dB when measured
    missing = torch.rand(clean.shape[-2:], generator=torch.Generator().manual_seed(0)) < 0.05
    holed = m(Image(bayer * ~missing), pattern="GBRG", mask=missing).pixels
    assert score(holed, clean) > score(out, clean) - 2                 # 5 % of the sites missing: -1.3 dB
    noisy = (bayer + 10 / 255 * torch.randn(bayer.shape, generator=torch.Generator().manual_seed(1))).clamp(0, 1)
    noisy_base = bilinear_demosaic(noisy[:, 1:-1][None])[0]
    assert score(m(Image(noisy), pattern="GBRG").pixels, clean) > score(noisy_base, clean[:, 1:-1]) + 4   # +5.4
