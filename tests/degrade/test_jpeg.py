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


def test_chroma_subsampling_and_gray_saves_are_what_they_say():
    g = torch.Generator().manual_seed(2)
    x = torch.rand(3, 32, 32, generator=g)
    full, sub = jpeg_roundtrip(x, 90, subsampling=0), jpeg_roundtrip(x, 90, subsampling=2)
    assert float((full - x).abs().mean()) < float((sub - x).abs().mean())     # 4:2:0 loses colour detail
    gray = jpeg_roundtrip(x[:1], 50)
    assert gray.shape == (1, 32, 32)
    kinds = {p.subsampling for p in params_over_seeds(lambda g: sample_jpeg(g, 10, 20, (0.3, 0.3, 0.4)), 60)}
    assert kinds == {0, 1, 2}


def test_double_jpeg_moves_the_grid_and_keeps_the_shape():
    from restore.degrade.jpeg import DoubleJpeg, DoubleJpegParams, JpegParams, apply_double_jpeg, effective_quality

    x = torch.rand(3, 40, 48, generator=torch.Generator().manual_seed(3))
    aligned = DoubleJpegParams(JpegParams(30), JpegParams(30), (0, 0))
    # saving again at the same quality on the same grid changes little; a moved grid re-quantises everything
    once = jpeg_roundtrip(x, 30)
    shifted = apply_double_jpeg(x, DoubleJpegParams(JpegParams(30), JpegParams(30), (3, 5)))
    assert shifted.shape == x.shape
    assert float((apply_double_jpeg(x, aligned) - once).abs().mean()) < float((shifted - once).abs().mean())
    assert torch.equal(shifted[:, :3], once[:, :3]) and torch.equal(shifted[:, :, :5], once[:, :, :5])
    assert effective_quality(DoubleJpegParams(JpegParams(80), JpegParams(20), (0, 0))) == 20
    shifts = [p.shift for p in params_over_seeds(lambda g: DoubleJpeg(shift_fraction=0.5).sample(g, x), 80)]
    assert (0, 0) in shifts and any(s != (0, 0) for s in shifts)
    assert all(0 <= a < 8 and 0 <= b < 8 for a, b in shifts)
    check_op(DoubleJpeg(), x)
