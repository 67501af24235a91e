"""Widening a codec's latent keeps what the trained model computes and adds one slice."""
from __future__ import annotations

import math

import pytest
import torch

from restore.codecs.grow import grow_latent, grow_levels
from restore.codecs.model import CodecNet
from tinycodec import TINY


def _jitter(net: CodecNet, scale: float, positive: bool = False) -> CodecNet:
    """``net`` with noise added to every parameter (non-trivial weights everywhere, gains included);
    ``positive`` keeps GDN's reparametrised weights valid."""
    with torch.no_grad():
        for p in net.parameters():
            noise = torch.randn_like(p)
            p.add_(scale * (noise.abs() if positive else noise))
    return net


def test_grown_codec_reconstructs_exactly_like_the_original():
    torch.manual_seed(0)
    net = _jitter(CodecNet(**TINY), 0.05).eval()
    grown = grow_latent(net, 48).eval()
    assert grown.context.slices == (4, 4, 8, 16, 16) and grown.arch_spec[1]["latent"] == 48
    x = torch.rand(2, 3, 64, 128)
    q = torch.tensor([1.0, 2.5])
    with torch.no_grad():
        a, b = net(x, q), grown(x, q)
    assert torch.allclose(a["x_hat"], b["x_hat"], atol=1e-5)
    # the old channels cost what they cost before; the new slice adds its own bits
    bits_old = torch.log2(a["likelihoods"]["y"]).sum()
    assert torch.allclose(torch.log2(b["likelihoods"]["y"][:, :32]).sum(), bits_old, rtol=1e-5)
    assert b["likelihoods"]["y"].shape[1] == 48
    # the new channels are produced (they carry signal) but nothing reads them yet
    assert grown.g_a[-1].weight[32:].abs().sum() > 0 and grown.g_s[0].weight[32:].abs().sum() == 0


def test_grow_refuses_to_shrink():
    with pytest.raises(ValueError, match="can only widen"):
        grow_latent(CodecNet(**TINY), 32)


def test_widened_transforms_reconstruct_exactly_like_the_original():
    from restore.codecs.grow import grow_channels, grow_fine

    torch.manual_seed(1)
    net = _jitter(CodecNet(**TINY), 0.05, positive=True).eval()
    wide = TINY["channels"] + 8
    grown = grow_channels(net, wide).eval()
    assert grown.arch_spec[1]["channels"] == wide and grown.g_a[0].weight.shape[0] == wide
    x = torch.rand(2, 3, 64, 128)
    q = torch.tensor([1.0, 2.5])
    with torch.no_grad():
        a, b = net(x, q), grown(x, q)
        ya, yb = net.g_a(x), grown.g_a(x)
    assert torch.allclose(ya, yb, atol=1e-5)
    assert torch.allclose(a["x_hat"], b["x_hat"], atol=1e-5)
    assert torch.allclose(a["likelihoods"]["y"], b["likelihoods"]["y"], atol=1e-6)
    # new hidden channels are computed (non-zero) but read by nothing yet
    hidden = grown.g_a[:2](x)
    assert hidden[:, TINY["channels"]:].abs().sum() > 0
    assert grown.g_a[2].weight[:TINY["channels"], TINY["channels"]:].abs().sum() == 0
    assert grown.g_s[-1].weight[TINY["channels"]:].abs().sum() == 0
    with pytest.raises(ValueError, match="can only widen the transforms"):
        grow_channels(grown, wide)
    with pytest.raises(ValueError, match="widening transforms with residual blocks is not supported"):
        grow_channels(grow_fine(net, 1), wide + 8)


@pytest.mark.parametrize("key, where, body_input", [("res_blocks", "1/8", 6), ("fine_blocks", "1/4", 4)])
def test_deepened_transforms_reconstruct_exactly_like_the_original(key, where, body_input):
    from restore.backbones.conv import ConvBody
    from restore.codecs import grow

    deepen = grow.grow_depth if key == "res_blocks" else grow.grow_fine
    torch.manual_seed(2)
    net = _jitter(CodecNet(**TINY), 0.05, positive=True).eval()
    deep = deepen(net, 2).eval()
    assert deep.arch_spec[1][key] == 2
    bodies = [m for side in (deep.g_a, deep.g_s) for m in side if isinstance(m, ConvBody)]
    assert len(bodies) == 2 and all(len(b.blocks) == 2 for b in bodies)
    x = torch.rand(2, 3, 64, 128)
    q = torch.tensor([1.0, 2.5])
    with torch.no_grad():
        a, b = net(x, q), deep(x, q)
        # the new blocks compute something; only their closing conv (zero) keeps it out of the output
        assert bodies[0].blocks(net.g_a[:body_input](x)).abs().sum() > 0
    assert torch.allclose(a["x_hat"], b["x_hat"], atol=1e-6)
    assert torch.allclose(a["likelihoods"]["y"], b["likelihoods"]["y"], atol=1e-6)
    # the closing convs get gradients, so training makes the bodies matter
    fresh = deepen(CodecNet(**TINY), 1).train()
    fresh(x, q)["x_hat"].pow(2).mean().backward()
    grads = [m.fuse.weight.grad for side in (fresh.g_a, fresh.g_s) for m in side if isinstance(m, ConvBody)]
    assert len(grads) == 2 and all(torch.isfinite(g).all() and g.abs().sum() > 0 for g in grads)
    with pytest.raises(ValueError, match=f"already have 2 residual blocks at {where} resolution"):
        deepen(deep, 3)
    with pytest.raises(ValueError, match="can only add residual blocks"):
        deepen(net, 0)


def test_fine_bodies_join_a_model_that_already_has_coarse_ones():
    """Growing both depths keeps every trained weight, the coarse body included, at its place in the chain."""
    from restore.backbones.conv import ConvBody
    from restore.codecs.grow import grow_depth, grow_fine

    torch.manual_seed(3)
    net = _jitter(grow_depth(CodecNet(**TINY), 1), 0.01).eval()
    both = grow_fine(net, 1).eval()
    assert both.arch_spec[1]["res_blocks"] == 1 and both.arch_spec[1]["fine_blocks"] == 1
    kinds = [type(m).__name__ for m in both.g_a]
    assert kinds == ["Conv2d", "GDN", "Conv2d", "GDN", "ConvBody", "Conv2d", "GDN", "ConvBody", "Conv2d"]
    coarse_old = [m for m in net.g_s if isinstance(m, ConvBody)][0]
    coarse_new = [m for m in both.g_s if isinstance(m, ConvBody)][0]     # the synthesis meets the coarse one first
    assert torch.equal(coarse_old.fuse.weight, coarse_new.fuse.weight) and coarse_new.fuse.weight.abs().sum() > 0
    x, q = torch.rand(1, 3, 64, 64), torch.tensor([2.0])
    with torch.no_grad():
        a, b = net(x, q)["x_hat"], both(x, q)["x_hat"]
    assert torch.isfinite(a).all() and a.std() > 0 and torch.allclose(a, b, atol=1e-6)


def test_added_levels_keep_the_old_qualities_and_extend_the_gain_lines():
    torch.manual_seed(0)
    net = _jitter(CodecNet(**TINY), 0.05).eval()
    grown = grow_levels(net, (0.0005,) + TINY["lambdas"] + (0.2,)).eval()
    assert (grown.first_quality, grown.max_quality, grown.levels) == (0, 4, 5)
    assert grown.arch_spec[1]["first_quality"] == 0 and grown.arch_spec[1]["lambdas"][1:4] == list(TINY["lambdas"])
    x = torch.rand(3, 3, 64, 64)
    q = torch.tensor([1.0, 2.5, 3.0])            # old qualities keep their numbers and code exactly as before
    with torch.no_grad():
        a, b = net(x, q), grown(x, q)
    assert torch.allclose(a["x_hat"], b["x_hat"], atol=1e-6)
    for key in ("y", "z"):
        assert torch.allclose(a["likelihoods"][key], b["likelihoods"][key], atol=1e-6)
    with pytest.raises(ValueError, match="between 0 and 4"):
        grown.gains(-0.5)
    # an untrained model's gains follow 0.5·log λ exactly, so the new levels land on that line
    fresh = grow_levels(CodecNet(**TINY), (0.0005,) + TINY["lambdas"] + (0.2,))
    mid = math.log(TINY["lambdas"][1])
    for row, lam in ((0, 0.0005), (4, 0.2)):
        assert torch.allclose(fresh.log_gain[row], torch.full((32,), 0.5 * (math.log(lam) - mid)), atol=1e-5)
        assert torch.allclose(fresh.log_inv_gain[row], -fresh.log_gain[row], atol=1e-5)


@pytest.mark.parametrize("lambdas, message", [((0.0005, 0.002, 0.05), "must extend the model's ladder"),
                                              ((0.002, 0.01), "must extend the model's ladder"),
                                              ((0.0005, 0.0001, 0.002, 0.01, 0.05), "must increase")])
def test_added_levels_must_extend_the_ladder(lambdas, message):
    with pytest.raises(ValueError, match=message):
        grow_levels(CodecNet(**TINY), lambdas)


def test_added_levels_need_two_trained_ones_to_extend():
    with pytest.raises(ValueError, match="at least 2"):
        grow_levels(CodecNet(**{**TINY, "lambdas": (0.01,)}), (0.002, 0.01))
