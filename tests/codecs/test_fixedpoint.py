"""The fixed-point path is exact integer arithmetic and close to the float network it freezes."""
from __future__ import annotations

import pytest
import torch
import torch.nn as nn

from restore.codecs.fixedpoint import FRAC, FixedConv, FixedNet, NumericRangeError, exact_conv2d, from_fixed, to_fixed


def _int_conv_reference(x: torch.Tensor, w: torch.Tensor, stride: int, padding: int) -> torch.Tensor:
    cols = nn.functional.unfold(x.long().double(), w.shape[-2:], padding=padding, stride=stride).long()
    out = torch.einsum("ok,bkl->bol", w.long().reshape(w.shape[0], -1), cols)
    oh = (x.shape[-2] + 2 * padding - w.shape[-2]) // stride + 1
    return out.reshape(x.shape[0], w.shape[0], oh, -1)


@pytest.mark.parametrize("stride,padding,k", [(1, 1, 3), (2, 2, 5), (1, 0, 1)])
def test_exact_conv_matches_int64(stride, padding, k):
    g = torch.Generator().manual_seed(k)
    x = torch.randint(-2**20, 2**20, (2, 7, 9, 11), generator=g).double()
    w = torch.randint(-2**14, 2**14, (5, 7, k, k), generator=g).double()
    got = exact_conv2d(x, w, stride, padding)
    assert torch.equal(got.long(), _int_conv_reference(x, w, stride, padding))


def test_fixed_net_tracks_float_net():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(6, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 4 * 8, 3, padding=1),
                        nn.PixelShuffle(2), nn.ReLU(), nn.Conv2d(8, 4, 1))
    x = torch.randn(1, 6, 8, 8) * 3
    ref = net(x)
    got = from_fixed(FixedNet(net)(to_fixed(x)))
    assert got.shape == ref.shape
    assert (got - ref).abs().max() < 2e-2          # rounding to 2**-FRAC per layer, not a different function
    assert torch.equal(FixedNet(net)(to_fixed(x)), FixedNet(net)(to_fixed(x)))


def test_outputs_are_integers_and_thread_independent():
    torch.manual_seed(1)
    net = nn.Sequential(nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.Conv2d(64, 8, 1))
    x = to_fixed(torch.randn(1, 32, 16, 16) * 10)
    fixed = FixedNet(net)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = fixed(x)
        torch.set_num_threads(2)
        two = fixed(x)
    finally:
        torch.set_num_threads(before)
    assert torch.equal(one, two)
    assert torch.equal(one, torch.round(one))
    assert one.dtype == torch.float64 and FRAC == 10


def test_range_guard_and_unsupported_layers():
    net = nn.Sequential(nn.Conv2d(4, 4, 3, padding=1))
    with pytest.raises(NumericRangeError, match="exact integer range"):
        FixedNet(net)(torch.full((1, 4, 4, 4), 2.0 ** 45))
    with pytest.raises(TypeError, match="GELU has no exact fixed-point form"):
        FixedNet(nn.Sequential(nn.Conv2d(4, 4, 1), nn.GELU()))
    with pytest.raises(ValueError, match="plain convolutions"):
        FixedNet(nn.Sequential(nn.Conv2d(4, 4, 3, groups=2)))


@pytest.mark.parametrize("h,w", [(6, 8), (7, 5)])
def test_conv_at_checkerboard_positions_equals_the_full_conv(h, w):
    from restore.codecs.context import anchor_mask

    torch.manual_seed(h)
    conv = FixedConv.from_conv(nn.Conv2d(6, 10, 5, padding=2))
    anchors = anchor_mask(h, w)
    x = torch.where(anchors, to_fixed(torch.randn(2, 6, h, w) * 4), torch.zeros(()))   # only anchors non-zero
    got = conv.at(x, ~anchors, ~anchor_mask(5, 5))                                        # the taps reaching them
    assert got.shape == (2, 10, int((~anchors).sum()))
    assert torch.equal(got, conv(x)[..., ~anchors])
    assert not torch.equal(conv.at(x, ~anchors, anchor_mask(5, 5)), got)                 # the wrong taps see zeros
    with pytest.raises(ValueError, match="stride-1"):
        FixedConv.from_conv(nn.Conv2d(6, 10, 5, stride=2, padding=2)).at(x, ~anchors, ~anchor_mask(5, 5))
