from __future__ import annotations


import pytest
import torch

from restore.archs.srnet import SRNet
from restore.tiling import Tiler, auto_tile, blend_ramp, reflect_index, tile_starts


def small_net(scale_set=(2, 3)) -> SRNet:
    torch.manual_seed(0)
    net = SRNet("res", {"channels": 8, "blocks": 2}, scale_set).eval()
    for p in net.parameters():          # non-trivial weights so every pixel depends on its neighbourhood
        p.data.normal_(0, 0.2)
    return net


def test_tile_starts_cover_and_end_flush():
    assert tile_starts(100, 40, 40) == [0, 40, 60]
    assert tile_starts(30, 40, 40) == [0]
    assert tile_starts(80, 40, 40) == [0, 40]


def test_blend_ramp_is_smooth_and_positive():
    w = blend_ramp(20, 6, True, True)
    assert torch.all(w > 0) and torch.all(w <= 1)
    assert torch.allclose(w[:6], w[-6:].flip(0))
    assert torch.all(w[6:14] == 1)


@pytest.mark.parametrize("scale", [2, 3])
@pytest.mark.parametrize("tile", [16, 23, 40])
def test_tiled_equals_untiled_when_overlap_covers_receptive_field(scale, tile):
    """Reflect-padded borders (default): many tiles == one tile covering the image."""
    net = small_net()
    x = torch.rand(3, 45, 61, generator=torch.Generator().manual_seed(1))
    fn = lambda t: net(t, scale)  # noqa: E731
    with torch.no_grad():
        ref = Tiler(tile=4096, overlap=net.descriptor.radius, scale=scale).run(fn, x)
        out = Tiler(tile=tile, overlap=net.descriptor.radius, scale=scale).run(fn, x)
    assert out.shape == ref.shape == (3, 45 * scale, 61 * scale)
    assert (out - ref).abs().max().item() < 1e-4


@pytest.mark.parametrize("tile", [16, 29, 4096])
def test_tiled_without_padding_equals_plain_model(tile):
    net = small_net()
    x = torch.rand(3, 45, 61, generator=torch.Generator().manual_seed(1))
    fn = lambda t: net(t, 2)  # noqa: E731
    calls = []
    with torch.no_grad():
        ref = fn(x[None])[0]
        out = Tiler(tile=tile, overlap=net.descriptor.radius, scale=2, pad="none").run(
            fn, x, progress=lambda d, n: calls.append((d, n)))
    assert (out - ref).abs().max().item() < 1e-4 and out.is_contiguous()
    assert calls[-1] == (len(calls), len(calls)) and (tile != 4096 or calls == [(1, 1)])


def test_reflect_index_mirrors_without_edge_repeat():
    assert reflect_index(-3, 7, 4).tolist() == [3, 2, 1, 0, 1, 2, 3, 2, 1, 0]
    assert reflect_index(-2, 3, 1).tolist() == [0] * 5


def test_too_small_overlap_is_not_exact():
    """The exactness above is real: with no context the seams differ."""
    net = small_net()
    x = torch.rand(3, 40, 40, generator=torch.Generator().manual_seed(2))
    fn = lambda t: net(t, 2)  # noqa: E731
    with torch.no_grad():
        ref = fn(x[None])[0]
        out = Tiler(tile=16, overlap=0, scale=2).run(fn, x)
    assert (out - ref).abs().max().item() > 1e-3


def test_blended_tiles_of_identity_are_exact_and_progress_is_reported():
    x = torch.rand(3, 50, 70)
    calls = []
    out = Tiler(tile=24, overlap=2, blend=6).run(lambda t: t * 1.0, x, progress=lambda d, n: calls.append((d, n)))
    assert torch.allclose(out, x, atol=1e-6)
    assert calls[-1][0] == calls[-1][1] == len(calls) > 1


def test_auto_tile_respects_budget():
    t = auto_tile(64 * 2**20, 1024, overlap=10)
    assert (t + 20) ** 2 * 1024 <= 64 * 2**20
    assert auto_tile(1, 1024, overlap=10) == 64   # clamps to a usable minimum


LARGE_X2 = """
import resource, sys, torch
sys.path.insert(0, {tests!r})
from test_tiling import small_net
from restore.tiling import Tiler
net = small_net((2,))
x = torch.rand(3, 3000, 4000)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
with torch.no_grad():
    out = Tiler(tile=512, overlap=net.descriptor.radius, scale=2).run(lambda t: net(t, 2), x)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(tuple(out.shape), round(peak - before))
"""


def test_large_image_x2_runs_in_bounded_memory():
    """4000×3000 through ×2 tile by tile, in a fresh process: peak RSS grows by about the output only."""
    import subprocess
    import sys
    from pathlib import Path

    code = LARGE_X2.format(tests=str(Path(__file__).parent))
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    shape, grew = res.stdout.strip().rsplit(" ", 1)
    assert shape == "(3, 6000, 8000)"
    # the output alone is 549 MiB; untiled, the activations (8 channels at 12 MP plus the 48 MP upscale)
    # would add more than 2 GiB
    assert int(grew) < 1500, grew
