"""The transformer backbone: window bookkeeping, masks, bounded attention, exact tiles, registry use."""
from __future__ import annotations

import math

import pytest
import torch

from restore.layers.attention import (cosine_attention, log_offsets, shift_mask, window_merge, window_partition,
                                      OverlapCrossAttention, WindowAttention)
from restore.registry import build_backbone

SMALL = {"channels": 12, "blocks": 1, "depth": 2, "heads": 2, "window": 4}


def test_window_partition_round_trip_and_layout():
    x = torch.arange(2 * 3 * 8 * 12, dtype=torch.float32).view(2, 3, 8, 12)
    t = window_partition(x, 4)
    assert t.shape == (2 * 2 * 3, 16, 3)
    assert torch.equal(t[1, :, 0], x[0, 0, :4, 4:8].reshape(-1))     # second window of the first row
    assert torch.equal(window_merge(t, 4, 2, 8, 12), x)


def test_shift_mask_separates_the_rolled_regions():
    m = shift_mask(8, 8, 4, 2)
    assert m.shape == (4, 16, 16)
    assert (m[0] == 0).all()                       # the top-left window has one region only
    last = m[3]                                    # bottom-right: four regions of 2×2
    assert (last == 0).sum() == 4 * 4 * 4 and (last == -100).sum() == 16 * 16 - 64


def test_log_offsets_are_symmetric_and_bounded():
    o = log_offsets(4, 6).view(16, 36, 2)
    assert abs(float(o.abs().max()) - math.log2(9) / 3) < 1e-5     # the largest offset maps to 8 (SwinV2)
    assert torch.allclose(log_offsets(4, 4).view(16, 16, 2), -log_offsets(4, 4).view(16, 16, 2).transpose(0, 1))
    assert o.shape == (16, 36, 2)


def test_cosine_attention_is_scale_invariant_in_q_and_k():
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(3, 2, 16, 4, generator=g) for _ in range(3))
    tau, bias = torch.zeros(2, 1, 1), torch.zeros(2, 16, 16)
    a = cosine_attention(q, k, v, tau, bias)
    assert torch.allclose(a, cosine_attention(1000 * q, 0.001 * k, v, tau, bias), atol=1e-5)


@pytest.mark.parametrize("layer", [lambda: WindowAttention(12, 2, 4, shift=2),
                                   lambda: OverlapCrossAttention(12, 2, 4)])
def test_window_layers_keep_shape_and_locality(layer):
    torch.manual_seed(0)
    m = layer().eval()
    x = torch.randn(1, 12, 16, 16)
    y = m(x)
    assert y.shape == x.shape
    x2 = x.clone()
    x2[..., 0, 0] += 10                            # a change far outside a pixel's windows cannot reach it
    with torch.no_grad():
        d = (m(x2) - y).abs().sum(1)[0]
    assert d[0, 0] > 0 and d[m.radius + 1:, :].abs().max() == 0 and d[:, m.radius + 1:].abs().max() == 0


def test_tiles_on_the_window_grid_are_exact():
    torch.manual_seed(0)
    body = build_backbone("swin", **SMALL).eval()
    r = body.receptive_radius
    assert body.multiple == 4 and r == 2 * 5 + 4 + 1 + 1
    x = torch.randn(1, 12, 80, 80)
    with torch.no_grad():
        whole = body(x)
        tile = body(x[..., 12:68, 12:68])           # origin on the window grid, margin ≥ radius around the core
    assert torch.allclose(whole[..., 28:52, 28:52], tile[..., 16:40, 16:40], atol=1e-5)
    assert not torch.allclose(whole[..., 12:68, 12:68], tile, atol=1e-5)    # borders do differ


def test_odd_sizes_are_padded_and_the_sr_net_trains():
    from restore.archs.srnet import SRNet

    torch.manual_seed(0)
    net = SRNet(body="swin", body_kwargs=SMALL, scales=(2,))
    assert net.descriptor.multiple == 4
    x = torch.rand(2, 3, 13, 10)
    target = torch.nn.functional.interpolate(x, scale_factor=2, mode="bilinear")
    opt = torch.optim.Adam(net.parameters(), 2e-3)
    losses = []
    for _ in range(15):
        loss = (net(x, 2) - target).abs().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert net(x, 2).shape == (2, 3, 26, 20)
    assert losses[-1] < 0.7 * losses[0]


def test_cosine_attention_equals_sdpa_with_bias_and_mask():
    import torch.nn.functional as F

    g = torch.Generator().manual_seed(3)
    q, k, v = (torch.randn(8, 2, 16, 6, generator=g) for _ in range(3))      # 2 images × 4 windows, 2 heads
    log_tau = torch.full((2, 1, 1), math.log(10.0))
    bias = torch.randn(2, 16, 16, generator=g)
    mask = shift_mask(8, 8, 4, 2)                                             # 4 windows
    qn = F.normalize(q, dim=-1) * 10.0
    kn = F.normalize(k, dim=-1)
    ref = F.scaled_dot_product_attention(qn.view(2, 4, 2, 16, 6), kn.view(2, 4, 2, 16, 6), v.view(2, 4, 2, 16, 6),
                                         attn_mask=bias[None] + mask[:, None], scale=1.0).view(8, 2, 16, 6)
    assert torch.allclose(cosine_attention(q, k, v, log_tau, bias, mask), ref, atol=1e-5)
    ref = F.scaled_dot_product_attention(qn, kn, v, attn_mask=bias, scale=1.0)
    assert torch.allclose(cosine_attention(q, k, v, log_tau, bias), ref, atol=1e-5)


def test_shipped_transformer_models_are_selectable_and_restore():
    import restore
    from restore.degrade import bicubic_downscale, bicubic_upscale
    from restore.metrics import psnr, psnr_y
    from restore.recipes.data import load_rgb_u8

    from helpers import EXAMPLES

    hr = load_rgb_u8(EXAMPLES / "coffee.png").float()[:, 100:164, 200:264]
    lr = bicubic_downscale(hr, 4)
    sr = restore.load("srnet-sr-swin", scale=4)
    assert sr.entry.task == "sr" and sr.entry.kwargs["body"] == "swin"
    out = sr.run_tensor(lr / 255).mul(255).round()
    assert psnr_y(out, hr, 4) > psnr_y(bicubic_upscale(lr, 4), hr, 4) + 0.3
    dn = restore.load("denoisenet-denoise-swin")
    assert dn.entry.task == "denoise" and dn.entry.kwargs["body"] == "swin"
    noisy = hr / 255 + 25 / 255 * torch.randn(hr.shape, generator=torch.Generator().manual_seed(1))
    den = dn.run_tensor(noisy.clamp(0, 1), forward=dn.tensor_fn(sigma=25))
    assert psnr(den * 255, hr) > psnr(noisy.clamp(0, 1) * 255, hr) + 5
