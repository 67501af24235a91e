"""Blur: Gaussian (kornia), line (motion) kernels, smooth random fields."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from restore.degrade.blur import (GaussianBlur, MotionBlur, gaussian_blur, line_blur, line_kernel, render_field,
                                  sample_field, sample_gaussian_blur, sample_motion_blur, smooth_field)

from .contract import check_op, params_over_seeds


def _separable(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """The blur this package used before kornia's (3σ radius, reflect padding), as a reference."""
    r = max(1, int(math.ceil(3 * sigma)))
    t = torch.arange(-r, r + 1, dtype=x.dtype)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    k = k / k.sum()
    y = x.reshape(-1, 1, *x.shape[-2:])
    y = F.conv2d(F.pad(y, (r, r, 0, 0), mode="reflect"), k.view(1, 1, 1, -1))
    y = F.conv2d(F.pad(y, (0, 0, r, r), mode="reflect"), k.view(1, 1, -1, 1))
    return y.reshape(x.shape)


def test_blur_and_line_kernels_keep_mass():
    x = torch.zeros(1, 21, 21)
    x[0, 10, 10] = 1
    assert float(gaussian_blur(x, 2.0).sum()) == pytest.approx(1.0, abs=1e-5)
    assert torch.equal(gaussian_blur(x, 0), x)
    k = line_kernel(15, 0.0)
    assert float(k.sum()) == pytest.approx(1.0) and bool((k[7] > 0).all()) and float(k[0].sum()) == 0


@pytest.mark.parametrize("sigma", [0.5, 2.0, 5.0])
def test_gaussian_blur_matches_the_separable_reference(sigma):
    x = torch.rand(2, 3, 40, 50, generator=torch.Generator().manual_seed(0))
    assert float((gaussian_blur(x, sigma) - _separable(x, sigma)).abs().max()) <= 1e-5


def test_blur_of_an_image_smaller_than_the_kernel_keeps_a_flat_image_flat():
    x = torch.full((3, 4, 30), 0.4)
    assert torch.allclose(gaussian_blur(x, 3.0), x, atol=1e-6)


def test_line_blur_smears_along_its_angle_and_keeps_flat_images():
    x = torch.zeros(1, 31, 31)
    x[0, 15, 15] = 1
    horizontal = line_blur(x, 9, 0.0, mode="constant")[0]
    assert float(horizontal.sum()) == pytest.approx(1.0, abs=1e-6)
    assert float(horizontal[15].sum()) == pytest.approx(1.0, abs=1e-6)
    assert float(line_blur(x, 9, 90.0, mode="constant")[0][:, 15].sum()) == pytest.approx(1.0, abs=1e-6)
    flat = torch.full((3, 12, 12), 0.7)
    assert torch.allclose(line_blur(flat, 15, 30.0), flat, atol=1e-6)


def test_smooth_fields_are_seeded_and_span_the_unit_range():
    a = smooth_field(20, 30, torch.Generator().manual_seed(1))
    assert torch.equal(a, render_field(sample_field(torch.Generator().manual_seed(1)), 20, 30))
    assert a.shape == (20, 30) and float(a.min()) == 0.0 and float(a.max()) == pytest.approx(1.0)


def test_blur_params_are_seeded_and_in_range():
    for p in params_over_seeds(lambda g: sample_gaussian_blur(g, (0.5, 2.5))):
        assert 0.5 <= p.sigma < 2.5
    assert sample_gaussian_blur(None, 1.5).sigma == 1.5
    for p in params_over_seeds(lambda g: sample_motion_blur(g, (3, 15), (0.0, 180.0))):
        assert 3 <= p.length <= 14 and 0.0 <= p.angle < 180.0


def test_blur_ops_keep_the_contract():
    x = torch.rand(3, 32, 40, generator=torch.Generator().manual_seed(2))
    y, p = check_op(GaussianBlur(), x)
    assert torch.equal(y, gaussian_blur(x, p.sigma))
    y, p = check_op(MotionBlur(), x)
    assert y.shape == x.shape and torch.equal(y, line_blur(x, p.length, p.angle))
