"""Resizing for SR: the bicubic LR of a fixed scale, and random (possibly asymmetric) scales."""
from __future__ import annotations

import torch

from restore.degrade.resize import (BicubicDown, RandomScale, ScaleParams, apply_scale, bicubic_downscale,
                                    downscale_to, mod_crop, sample_scale)

from .contract import check_op, params_over_seeds


def test_bicubic_down_is_the_mod_cropped_matlab_downscale():
    hr = torch.rand(3, 50, 61, generator=torch.Generator().manual_seed(0)) * 255
    y, p = check_op(BicubicDown(3), hr)
    assert p is None and y.shape == (3, 16, 20)
    assert torch.equal(y, bicubic_downscale(mod_crop(hr, 3), 3)) and torch.equal(y, y.round())


def test_scales_are_in_range_and_asymmetric_only_when_asked():
    for p in params_over_seeds(lambda g: sample_scale(g, 1.0, 4.0, 0.0)):
        assert 1.0 <= p.sy < 4.0 and p.sx == p.sy
    both = params_over_seeds(lambda g: sample_scale(g, 1.5, 3.0, 0.5))
    assert all(1.5 <= p.sy < 3.0 and 1.5 <= p.sx < 3.0 for p in both)
    assert 0.35 < sum(p.sx != p.sy for p in both) / len(both) < 0.65


def test_random_scale_downscales_to_the_rounded_size_in_8_bits():
    hr = torch.rand(2, 3, 48, 48, generator=torch.Generator().manual_seed(1))
    lr = apply_scale(hr, ScaleParams(2.5, 4.0))
    assert lr.shape == (2, 3, 19, 12) and torch.allclose(lr * 255, (lr * 255).round(), atol=1e-4)
    assert torch.equal(lr, downscale_to(hr, 19, 12))
    assert apply_scale(hr[..., :4, :4], ScaleParams(4.0, 4.0)).shape[-2:] == (2, 2)      # at least 2×2
    y, p = check_op(RandomScale(1.0, 4.0, 0.3), hr)
    assert y.shape[-2:] == (max(2, round(48 / p.sy)), max(2, round(48 / p.sx)))

    assert mod_crop(torch.zeros(3, 10, 13), 4).shape == (3, 8, 12)
