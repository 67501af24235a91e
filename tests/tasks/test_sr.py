"""The SR task with the shipped weights: quality against bicubic, tiling, alpha, bit depth."""
from __future__ import annotations

import numpy as np
import torch

import restore
from restore.degrade import bicubic_downscale, bicubic_upscale, mod_crop
from restore.io import Image
from restore.metrics import psnr_y
from restore.train.data import load_rgb_u8

from helpers import EXAMPLES


def test_shipped_models_beat_bicubic_on_an_example_crop():
    hr_full = load_rgb_u8(EXAMPLES / "coffee.png").float()[:, 100:244, 200:344]
    for scale in (2, 3, 4):
        hr = mod_crop(hr_full, scale)
        lr = bicubic_downscale(hr, scale)
        ours = restore.load(f"sr-x{scale}").run_tensor(lr / 255).mul(255).round()
        bic = bicubic_upscale(lr, scale)
        assert psnr_y(ours, hr, scale) > psnr_y(bic, hr, scale) + 0.3, scale


def test_small_tiles_equal_one_tile():
    m = restore.load("sr-x4", precision="fp32")
    x = torch.rand(3, 70, 90, generator=torch.Generator().manual_seed(3))
    whole = m.run_tensor(x, tile=512)
    tiled = m.run_tensor(x, tile=32)
    assert (whole - tiled).abs().max().item() < 1e-4


def test_16bit_image_stays_16bit_with_metadata():
    arr = (np.linspace(0, 65535, 24 * 32 * 3).reshape(24, 32, 3)).astype(np.uint16)
    img = Image.from_array(arr, icc=b"fake-icc", exif=b"Exif\x00\x00fake")
    out = restore.load("sr-x2")(img)
    assert out.bit_depth == 16 and out.icc == b"fake-icc" and out.exif == img.exif
    assert (out.height, out.width) == (48, 64)
