"""Colour: the sRGB transfer functions (used by inference) and gray."""
from __future__ import annotations

import pytest
import torch

from restore.degrade.color import Gray, linear_to_srgb, srgb_to_linear, to_gray

from .contract import check_op


def test_srgb_transfer_round_trip():
    x = torch.linspace(0, 1, 1001, dtype=torch.float64)
    assert torch.allclose(linear_to_srgb(srgb_to_linear(x)), x, atol=1e-9)
    assert float(srgb_to_linear(torch.tensor(0.5, dtype=torch.float64))) == pytest.approx(0.2140, abs=1e-4)


def test_srgb_curves_clip_to_the_unit_range():
    x = torch.tensor([-0.5, 0.0, 1.0, 1.5])
    assert torch.equal(srgb_to_linear(x), torch.tensor([0.0, 0.0, 1.0, 1.0]))
    assert torch.allclose(linear_to_srgb(x), torch.tensor([0.0, 0.0, 1.0, 1.0]))


def test_gray_is_the_channel_mean_as_one_plane():
    x = torch.rand(2, 3, 8, 10, generator=torch.Generator().manual_seed(0))
    y, p = check_op(Gray(), x)
    assert p is None and y.shape == (2, 1, 8, 10) and torch.equal(y, to_gray(x))
    assert torch.allclose(y[:, 0], x.mean(1))
