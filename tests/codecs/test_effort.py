"""Encoder effort levels: the latent search, its rounding, and that its files are ordinary files."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from restore.codecs.container import unpack
from restore.codecs.refine import EFFORTS, MAX_EFFORT, lambda_at, rd_objective, sga_round
from restore.io import Image


@pytest.fixture
def photo() -> np.ndarray:
    from PIL import Image as P

    from tinycodec import EXAMPLES

    return np.asarray(P.open(EXAMPLES / "astronaut.png").convert("RGB"))[60:156, 150:278].copy()   # 128×96


def _cost(codec, data: bytes, photo: np.ndarray, quality: float) -> float:
    """The coded file's own rate-distortion cost: bits per pixel + λ·255²·MSE (the search's objective)."""
    out = codec.decode(data).to_array().astype(np.float64)
    mse = float(np.mean((out - photo) ** 2)) / 255 ** 2
    return len(data) * 8 / (photo.shape[0] * photo.shape[1]) + lambda_at(codec.net, quality) * 255 ** 2 * mse


def test_sga_rounds_between_floor_and_ceiling_and_hardens_as_it_cools():
    v = torch.tensor([0.1, 0.45, 0.55, 0.9, -1.3, 2.0]).repeat(2000)
    gen = torch.Generator().manual_seed(0)
    warm = sga_round(v, 0.5, gen)
    assert bool(((warm >= torch.floor(v)) & (warm <= torch.floor(v) + 1)).all())
    cold = sga_round(v, 1e-3, gen)
    assert torch.allclose(cold, torch.round(v), atol=1e-3)
    # warm, the nearer integer gets most of the weight, but not all of it every time
    per = warm.view(2000, 6).mean(0)
    assert float(per[0]) < 0.25 and float(per[3]) > 0.75
    assert float((warm - torch.round(v)).abs().gt(0.25).float().mean()) > 0.05
    x = v.clone().requires_grad_(True)
    sga_round(x, 0.3, gen).sum().backward()
    assert float(x.grad.abs().sum()) > 0                   # gradients flow through the relaxation


def test_lambda_at_integer_qualities_is_the_trained_one(tiny_codec):
    net = tiny_codec.net
    for level, lam in enumerate(net.lambdas):
        assert lambda_at(net, net.first_quality + level) == pytest.approx(lam)
    mid = lambda_at(net, net.first_quality + 0.5)
    assert mid == pytest.approx(math.sqrt(net.lambdas[0] * net.lambdas[1]))


def test_the_objective_with_hard_rounding_predicts_the_coded_rate(tiny_codec, photo):
    """The search's rate is the coder's: its estimate for the hard-rounded latents is within 10 % of the stream
    (the coder's tables are quantised CDFs at 128 scales, the estimate is the continuous Gaussian)."""
    net, q = tiny_codec.net, 2.0
    x = torch.nn.functional.pad(torch.from_numpy(photo).permute(2, 0, 1)[None].float() / 255, (0, 0, 0, 32),
                                mode="replicate")                                  # 128×128: one tile
    gain, inv = net.gains(q)
    with torch.no_grad():
        y = net.analyse(x) * gain
        _, bpp, _ = rd_objective(net, x, y, net.hyper.h_a(y), inv, lambda_at(net, q), torch.round, (128, 128))
    stream = net.compress(x, q)
    assert float(bpp) == pytest.approx(len(stream) * 8 / (128 * 128), rel=0.1)


def test_higher_effort_codes_cheaper_by_its_objective_and_decodes_with_todays_decoder(tiny_codec, photo):
    img = Image.from_array(photo)
    base = tiny_codec.encode(img, quality=2)
    best = tiny_codec.encode(img, quality=2, effort=MAX_EFFORT)
    assert best != base
    same = lambda h: {k: v for k, v in vars(h).items() if k not in ("lengths", "crcs")}     # noqa: E731
    assert same(unpack(best)[0]) == same(unpack(base)[0])               # an ordinary header, same format
    assert _cost(tiny_codec, best, photo, 2) < 0.98 * _cost(tiny_codec, base, photo, 2)
    assert tiny_codec.encode(img, quality=2, effort=MAX_EFFORT) == best        # seeded: same file again
    assert tiny_codec.encode(img, quality=2, effort=1) == base


def test_effort_with_tiles_progress_and_regions(tiny_codec, photo):
    img = Image.from_array(photo)
    seen = []
    data = tiny_codec.encode(img, quality=2.5, tile=64, overlap=8, effort=2, progress=lambda d, t: seen.append((d, t)))
    h, _ = unpack(data)
    steps = EFFORTS[2].steps * h.grid[0] * h.grid[1]
    assert seen == [(k + 1, steps) for k in range(steps)]                  # progress counts search steps
    whole = tiny_codec.decode(data).to_array()
    part = tiny_codec.decode(data, region=(40, 30, 50, 40)).to_array()
    assert np.array_equal(part, whole[30:70, 40:90])


def test_target_bpp_with_effort_still_fits(tiny_codec, photo):
    img = Image.from_array(photo)
    pixels = photo.shape[0] * photo.shape[1]
    lo, hi = (len(tiny_codec.encode(img, quality=q)) * 8 / pixels for q in (1, 3))
    target = (lo + hi) / 2
    plain = tiny_codec.encode(img, target_bpp=target)
    searched = tiny_codec.encode(img, target_bpp=target, effort=3)
    assert len(searched) * 8 / pixels <= target
    assert unpack(searched)[0].quality <= unpack(plain)[0].quality
    assert searched != plain


def test_effort_out_of_range_is_refused(tiny_codec, photo):
    with pytest.raises(ValueError, match="effort must be from 1 to 5, not 6"):
        tiny_codec.encode(Image.from_array(photo), effort=6)


def test_the_cli_offers_exactly_the_effort_levels(tiny_codec, photo, tmp_path, capsys):
    from PIL import Image as P

    import click

    from restore.cli import _register, cli, main

    _register()
    command = cli.get_command(click.Context(cli), "encode")
    option = next(p for p in command.params if p.name == "effort")
    assert (option.type.min, option.type.max) == (min(EFFORTS), MAX_EFFORT)
    src = tmp_path / "a.png"
    P.fromarray(photo).save(src)
    assert main(["encode", "-q", "2", "--effort", "2", "--quiet", str(src)]) == 0
    assert (tmp_path / "a.rst").read_bytes() == tiny_codec.encode(Image.from_array(photo), quality=2, effort=2)
    assert main(["encode", "--effort", "9", str(src)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == "Error: Invalid value for '--effort': 9 is not in the range 1<=x<=5."
