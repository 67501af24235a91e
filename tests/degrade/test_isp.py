"""The camera-noise synthesis pipeline: unprocess → Bayer → sensor noise → a random ISP → JPEG."""
from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch

from restore.degrade.bayer import PATTERNS, mosaic
from restore.degrade.camera import sample_camera
from restore.degrade.isp import (DEMOSAICS, CameraPipeline, apply_isp, clean_render, demosaic_classical,
                                 inverse_tone_curve, noiseless, process, raw_noise, sample_isp, tone_curve,
                                 unprocess)
from restore.degrade.noise import CameraNoise

from .contract import check_op, params_over_seeds


def photo(h: int = 32, w: int = 32, seed: int = 0) -> torch.Tensor:
    """A smooth random colour image in [0.1, 0.9]."""
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(3, h // 8, w // 8, generator=g)
    return torch.nn.functional.interpolate(x[None], size=(h, w), mode="bilinear", align_corners=False)[0] * 0.8 + 0.1


def plain(p):
    """The same ISP without noise, phone extras or JPEG: what should give back its input."""
    return replace(noiseless(p), chroma_nr=0.0, sharpen=0.0, jpeg=None)


def test_the_pipeline_is_seeded_and_pure():
    y, p = check_op(CameraPipeline(), photo())
    assert y.shape == (3, 32, 32) and float(y.min()) >= 0 and float(y.max()) <= 1
    assert p.noise.shape == (1, 32, 32)


def test_unprocess_then_process_is_identity_within_a_level():
    x = torch.rand(3, 24, 24, generator=torch.Generator().manual_seed(3))
    for p in params_over_seeds(lambda g: sample_isp(g, 24, 24), seeds=20):
        back = process(unprocess(x, plain(p), bayer=False), plain(p))
        assert float((back - x).abs().max()) * 255 < 1.0, p


def test_the_tone_curve_inverts():
    y = torch.linspace(0, 1, 101)
    assert torch.allclose(tone_curve(inverse_tone_curve(y)), y, atol=1e-5)


@pytest.mark.parametrize("pattern", PATTERNS)
@pytest.mark.parametrize("method", DEMOSAICS)
def test_a_flat_colour_survives_mosaic_and_demosaic(pattern, method):
    colour = torch.tensor([0.2, 0.5, 0.8]).view(3, 1, 1).expand(3, 16, 16)
    out = demosaic_classical(mosaic(colour, pattern), pattern, method)
    assert float((out - colour).abs().max()) < 1e-3           # OpenCV's layout names map to ours


def test_the_whole_camera_without_noise_keeps_a_flat_image():
    x = torch.tensor([0.3, 0.45, 0.6]).view(3, 1, 1).expand(3, 16, 16).contiguous()
    for p in params_over_seeds(lambda g: sample_isp(g, 16, 16), seeds=12):
        assert float((apply_isp(x, plain(p)) - x).abs().max()) * 255 <= 1.0


def test_sensor_noise_is_signal_dependent_as_drawn():
    p = sample_isp(torch.Generator().manual_seed(0), 256, 256, min_shot=0.004, max_shot=0.004, row_prob=0.0)
    for level in (0.1, 0.6):
        raw = torch.full((1, 256, 256), level)
        sd = float((raw_noise(raw, p) - raw).std())
        want = math.sqrt(p.camera.shot * level + p.camera.read ** 2)
        assert abs(sd / want - 1) < 0.05


def test_read_noise_follows_the_sensor_line():
    """log(read²) = 2.18·log(shot) + 1.20 + N(0, 0.26²) (Brooks et al.): the read level is that variance's σ."""
    off = torch.tensor([math.log(p.read ** 2) - 2.18 * math.log(p.shot)
                        for p in params_over_seeds(lambda g: sample_camera(g), seeds=300)])
    assert abs(float(off.mean()) - 1.20) < 0.05 and abs(float(off.std()) - 0.26) < 0.05


def neighbour_and_channel_correlation(noise: torch.Tensor) -> tuple[float, float]:
    """Correlation of the noise with its right-hand neighbour (mean over channels), and of R with G."""
    n = noise - noise.mean((-2, -1), keepdim=True)
    a, b = n[:, :, :-1].flatten(1), n[:, :, 1:].flatten(1)
    horiz = float(((a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1))).mean())
    rg = float((n[0] * n[1]).sum() / (n[0].norm() * n[1].norm()))
    return horiz, rg


def test_demosaiced_noise_is_correlated_in_space_and_across_channels():
    """What a per-pixel noise model lacks: a real camera's noise is spread over neighbours and channels."""
    x = torch.full((3, 128, 128), 0.5)
    p = replace(sample_isp(torch.Generator().manual_seed(1), 128, 128, min_shot=0.002, max_shot=0.002,
                           row_prob=0.0), demosaic="bilinear", tone=False, chroma_nr=0.0, sharpen=0.0, jpeg=None)
    ours = process(raw_noise(unprocess(x, p), p), p) - process(unprocess(x, p), p)
    horiz, rg = neighbour_and_channel_correlation(ours)
    assert horiz > 0.3 and abs(rg) > 0.2          # the colour matrix mixes channels: negative here
    per_pixel = CameraNoise(max_shot=0.002)(x, torch.Generator().manual_seed(1)) - x
    horiz, _ = neighbour_and_channel_correlation(per_pixel)
    assert abs(horiz) < 0.05


def test_row_noise_makes_bands():
    x = torch.full((3, 64, 64), 0.4)
    p = replace(sample_isp(torch.Generator().manual_seed(2), 64, 64, row_prob=0.0), tone=False, chroma_nr=0.0,
                sharpen=0.0, jpeg=None)
    rows = lambda q: float((apply_isp(x, q) - x).mean((0, 2)).std())      # noqa: E731
    assert rows(replace(p, row_sd=0.05)) > 3 * rows(p)


def test_a_gray_crop_stays_one_plane():
    op, x = CameraPipeline(), torch.full((1, 16, 16), 0.5)
    y, p = op.run(x, torch.Generator().manual_seed(0))
    assert y.shape == op.reference(x, p).shape == (1, 16, 16)


def test_the_reference_is_the_cameras_rendering_without_noise_or_jpeg():
    """Real pairs' clean image is the mean of many frames of the same camera: sharpened, chroma-smoothed and
    demosaicked like the noisy one, but without its noise and JPEG."""
    x = photo(48, 48, seed=5)
    p = replace(sample_isp(torch.Generator().manual_seed(6), 48, 48, min_shot=0.005, max_shot=0.005, jpeg_prob=1.0),
                sharpen=0.8, chroma_nr=1.0)
    ref = CameraPipeline().reference(x, p)
    assert torch.equal(ref, clean_render(x, p))
    assert torch.equal(ref, apply_isp(x, replace(noiseless(p), jpeg=None)))
    assert torch.equal(ref * 255, (ref * 255).round())                           # 8-bit levels, as files are
    assert float((ref - process(unprocess(x, p), replace(noiseless(p), sharpen=0.0))).abs().max()) > 0.02
    noisy = apply_isp(x, p)
    assert float((noisy - ref).pow(2).mean()) < float((noisy - x).pow(2).mean())   # closer than the crop is


def test_the_raw_stage_serves_a_burst():
    """How a raw burst trainer uses it: one camera, one clean mosaic, a noise draw per frame; merging in raw
    and running the ISP once gives a cleaner frame than any single one."""
    x = photo(64, 64)
    g = torch.Generator().manual_seed(4)
    p = replace(sample_isp(g, 64, 64, min_shot=0.004, max_shot=0.004, row_prob=0.0), chroma_nr=0.0, sharpen=0.0,
                jpeg=None)
    raw = unprocess(x, p)
    frames = [raw_noise(raw, replace(p, noise=torch.randn(1, 64, 64, generator=g))) for _ in range(8)]
    one = process(frames[0], p)
    merged = process(torch.stack(frames).mean(0), p)
    clean = process(raw, p)
    err = lambda y: float((y - clean).pow(2).mean())      # noqa: E731
    assert err(merged) < err(one) / 4
