
import numpy as np
import pytest
import torch

from restore.degrade import bicubic_downscale, bicubic_upscale, mod_crop
from restore.metrics import psnr_y
from restore.resize import cubic, imresize, resize_matrix
from restore.recipes.data import load_rgb_u8

from helpers import BENCH


def test_cubic_kernel_values():
    x = torch.tensor([0.0, 0.5, 1.0, 1.5, 2.0, 2.5], dtype=torch.float64)
    # a = -0.5 Keys kernel
    assert torch.allclose(cubic(x), torch.tensor([1.0, 0.5625, 0.0, -0.0625, 0.0, 0.0], dtype=torch.float64))


def test_resize_rows_sum_to_one_and_constant_preserved():
    for n_in, n_out, s in [(10, 5, 0.5), (9, 3, 1 / 3), (7, 28, 4.0), (5, 10, 2.0)]:
        m = resize_matrix(n_in, n_out, s)
        assert m.shape == (n_out, n_in)
        assert torch.allclose(m.sum(1), torch.ones(n_out, dtype=torch.float64))
    img = torch.full((3, 12, 16), 0.3, dtype=torch.float64)
    assert torch.allclose(imresize(img, 0.25), torch.full((3, 3, 4), 0.3, dtype=torch.float64))


def test_downscale_by_two_matches_matlab_weights():
    # imresize(1:8, 0.5) along one axis, computed by hand from MATLAB's algorithm: kernel widened to 8
    # taps of 0.5·cubic(0.5·d), symmetric padding at both ends
    row = torch.arange(1, 9, dtype=torch.float64)[None, None, :]
    out = imresize(row.expand(1, 4, 8), size=(4, 4))[0, 0]
    expected = torch.tensor([1.44921875, 3.48828125, 5.51171875, 7.55078125], dtype=torch.float64)
    assert torch.allclose(out, expected, atol=1e-9)


@pytest.mark.skipif(not (BENCH / "Set5").is_dir(), reason="needs ../shared/data/bench")
def test_bicubic_baseline_matches_published_set5():
    """Published bicubic PSNR-Y on Set5: 33.66 / 30.39 / 28.42 (×2/×3/×4)."""
    paths = sorted((BENCH / "Set5").glob("*.png"))
    for scale, ref in [(2, 33.65), (3, 30.39), (4, 28.42)]:
        vals = []
        for p in paths:
            hr = mod_crop(load_rgb_u8(p).float(), scale)
            vals.append(psnr_y(bicubic_upscale(bicubic_downscale(hr, scale), scale), hr, scale))
        assert abs(np.mean(vals) - ref) < 0.01, (scale, np.mean(vals))
