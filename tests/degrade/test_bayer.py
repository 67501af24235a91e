"""The Bayer mosaic and missing sites."""
from __future__ import annotations

import pytest
import torch

from restore.degrade.bayer import (PATTERNS, MissingSites, Mosaic, apply_missing_sites, bayer_masks, check_pattern,
                                   mosaic, sample_missing_sites)

from .contract import check_op, params_over_seeds


@pytest.mark.parametrize("pattern", PATTERNS)
def test_mosaic_keeps_the_filtered_colour_at_each_site(pattern):
    rgb = torch.stack([torch.full((4, 6), 10.0), torch.full((4, 6), 20.0), torch.full((4, 6), 30.0)])
    m = mosaic(rgb, pattern)[0]
    value = {"R": 10.0, "G": 20.0, "B": 30.0}
    for k, colour in enumerate(pattern):
        assert bool((m[k // 2::2, k % 2::2] == value[colour]).all())
    masks = bayer_masks(pattern, 4, 6)
    assert bool((masks.sum(0) == 1).all()) and int(masks[1].sum()) == 12      # half the sites are green
    y, p = check_op(Mosaic(pattern), rgb)
    assert p is None and torch.equal(y, mosaic(rgb, pattern))


def test_unknown_pattern_is_a_clear_error():
    assert check_pattern("rggb") == "RGGB"
    with pytest.raises(ValueError, match="unknown Bayer pattern 'RGBG'; use one of RGGB, BGGR, GRBG, GBRG"):
        mosaic(torch.zeros(3, 4, 4), "RGBG")


def test_missing_sites_have_their_fraction_and_are_zeroed():
    for p in params_over_seeds(lambda g: sample_missing_sites(g, (1, 8, 8), (0.0, 0.08)), 100):
        assert 0 <= p.fraction < 0.08 and p.valid.dtype == torch.bool
    p = sample_missing_sites(torch.Generator().manual_seed(0), (1, 200, 200), 0.05)
    assert p.fraction == 0.05 and 0.94 < float(p.valid.float().mean()) < 0.96
    x = torch.rand(1, 200, 200) + 0.5
    y = apply_missing_sites(x, p)
    assert bool((y[~p.valid] == 0).all()) and torch.equal(y[p.valid], x[p.valid])
    per_image = sample_missing_sites(torch.Generator().manual_seed(1), (2, 1, 100, 100),
                                     torch.tensor([0.0, 0.05]).view(2, 1, 1, 1))
    assert bool(per_image.valid[0].all()) and 0.93 < float(per_image.valid[1].float().mean()) < 0.97
    check_op(MissingSites(), x)
