"""The SR task with the shipped weights: quality against bicubic, tiling, alpha, bit depth."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import restore
from restore.degrade import bicubic_downscale, bicubic_upscale, mod_crop
from restore.io import Image
from restore.layers.upsample import PixelShuffleHead, bicubic_phases, bicubic_upsample
from restore.metrics import psnr_y
from restore.recipes.data import load_rgb_u8

from helpers import EXAMPLES


def test_shipped_models_beat_bicubic_on_an_example_crop():
    hr_full = load_rgb_u8(EXAMPLES / "coffee.png").float()[:, 100:244, 200:344]
    for scale in (2, 3, 4):
        hr = mod_crop(hr_full, scale)
        lr = bicubic_downscale(hr, scale)
        ours = restore.load(f"sr-x{scale}").run_tensor(lr / 255).mul(255).round()
        bic = bicubic_upscale(lr, scale)
        assert psnr_y(ours, hr, scale) > psnr_y(bic, hr, scale) + 0.3, scale


def test_16bit_image_stays_16bit_with_metadata():
    arr = (np.linspace(0, 65535, 24 * 32 * 3).reshape(24, 32, 3)).astype(np.uint16)
    img = Image.from_array(arr, icc=b"fake-icc", exif=b"Exif\x00\x00fake")
    out = restore.load("sr-x2")(img)
    assert out.bit_depth == 16 and out.icc == b"fake-icc" and out.exif == img.exif
    assert (out.height, out.width) == (48, 64)


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_bicubic_upsample_equals_interpolate_and_stays_fp32_under_autocast(scale):
    x = torch.rand(2, 3, 13, 17)
    ref = F.interpolate(x, scale_factor=scale, mode="bicubic", align_corners=False)
    assert torch.allclose(bicubic_upsample(x, scale), ref, atol=5e-5)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = bicubic_upsample(x.contiguous(memory_format=torch.channels_last), scale)
    assert out.dtype == torch.float32 and torch.allclose(out, ref, atol=5e-5)


def test_tail_adds_the_bicubic_phases_before_its_shuffle():
    torch.manual_seed(0)
    head = PixelShuffleHead(8, 3)
    feat, img = torch.randn(1, 8, 5, 7), torch.rand(1, 3, 5, 7)
    with torch.no_grad():
        ref = head(feat) + bicubic_upsample(img, 3)
        assert torch.allclose(head(feat, skip=bicubic_phases(img, 3)), ref, atol=1e-6)
        with torch.autocast("cpu", dtype=torch.bfloat16):                 # the auto path: channels-last, bf16 conv
            cl = lambda t: t.contiguous(memory_format=torch.channels_last)  # noqa: E731
            out = head(cl(feat), skip=bicubic_phases(cl(img), 3))
    assert out.dtype == torch.float32 and (out - ref).abs().max() < 0.05


@pytest.mark.parametrize("scale", [(1.5, 1.5), (2.5, 2.5), (2.0, 3.5)])
def test_shipped_any_scale_model_beats_bicubic_on_an_example_crop(scale):
    from restore.resize import imresize

    sy, sx = scale
    hr = load_rgb_u8(EXAMPLES / "coffee.png").float()[:, 100:240, 200:340]         # 140 = 2·70 = 2.5·56 = 3.5·40
    lr = imresize(hr, size=(round(140 / sy), round(140 / sx))).round().clamp(0, 255)
    ours = restore.load("sr-any").upscale_tensor(lr / 255, (140, 140)).mul(255).round()
    bic = imresize(lr, size=(140, 140)).round().clamp(0, 255)
    assert ours.shape == hr.shape
    assert psnr_y(ours, hr, 4) > psnr_y(bic, hr, 4) + 1.0, scale
