"""JPEG round trips."""
from __future__ import annotations

import torch

from restore.degrade.jpeg import Jpeg, apply_jpeg, jpeg_roundtrip, sample_jpeg

from .contract import check_op, params_over_seeds


def test_jpeg_roundtrip_is_a_real_lossy_save():
    x = torch.rand(3, 32, 40, generator=torch.Generator().manual_seed(0))
    lo, hi = jpeg_roundtrip(x, 30), jpeg_roundtrip(x, 95)
    assert lo.shape == x.shape and lo.dtype == x.dtype and bool(((lo >= 0) & (lo <= 1)).all())
    err = lambda y: float((y - x).abs().mean())  # noqa: E731
    assert 0 < err(hi) < err(lo)                       # lossy, and less so at a higher quality
    assert torch.equal(jpeg_roundtrip(x, 80), jpeg_roundtrip(x, 80))


def test_jpeg_quality_is_drawn_over_its_whole_range():
    qualities = {p.quality for p in params_over_seeds(lambda g: sample_jpeg(g, 75, 95), 300)}
    assert qualities == set(range(75, 96))
    x = torch.rand(3, 16, 16, generator=torch.Generator().manual_seed(1))
    y, p = check_op(Jpeg(), x)
    assert 75 <= p.quality <= 95 and torch.equal(y, apply_jpeg(x, p))
