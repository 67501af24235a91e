"""Scene degradations (reflection, haze, rain, snow) and synthetic bursts: seeded, physically sensible."""
from __future__ import annotations

import pytest
import torch

from restore.bursts import FrameMotion, synth_burst, warp
from restore.degrade import linear_to_srgb, srgb_to_linear
from restore.scenes import (ReflectionParams, add_haze, add_rain, add_reflection, add_snow, gaussian_blur,
                            line_kernel, sample_reflection)


def _img(seed: int = 0, h: int = 48, w: int = 64) -> torch.Tensor:
    return torch.rand(3, h, w, generator=torch.Generator().manual_seed(seed))


def test_blur_and_line_kernels_keep_mass():
    x = torch.zeros(1, 21, 21)
    x[0, 10, 10] = 1
    assert float(gaussian_blur(x, 2.0).sum()) == pytest.approx(1.0, abs=1e-5)
    assert torch.equal(gaussian_blur(x, 0), x)
    k = line_kernel(15, 0.0)
    assert float(k.sum()) == pytest.approx(1.0) and bool((k[7] > 0).all()) and float(k[0].sum()) == 0


def test_reflection_adds_in_linear_light():
    scene, refl = _img(0), _img(1)
    p = ReflectionParams(blur=0.0, strength=0.25, transmission=0.8)
    photo, t, r = add_reflection(scene, refl, p)
    want = linear_to_srgb((srgb_to_linear(scene) * 0.8 + srgb_to_linear(refl) * 0.25).clamp(0, 1))
    assert torch.allclose(photo, want, atol=1e-5)
    assert torch.allclose(t, linear_to_srgb(srgb_to_linear(scene) * 0.8), atol=1e-6)
    g = lambda: torch.Generator().manual_seed(5)  # noqa: E731
    assert sample_reflection(g()) == sample_reflection(g())


def test_haze_follows_the_scattering_model_and_is_seeded():
    x = _img(2)
    a, t = add_haze(x, torch.Generator().manual_seed(3), beta=1.5, airlight=0.9)
    b, _ = add_haze(x, torch.Generator().manual_seed(3), beta=1.5, airlight=0.9)
    assert torch.equal(a, b) and t.shape == (1, 48, 64)
    assert float(t[0, 0].mean()) < float(t[0, -1].mean())           # the top of the frame is farther away
    assert bool((t > 0).all()) and bool((t <= 1).all())
    assert float(a.std()) < float(x.std())                          # haze lowers contrast


def test_rain_and_snow_brighten_only_where_their_layers_are():
    x = torch.full((3, 64, 64), 0.3)
    rainy, streaks = add_rain(x, torch.Generator().manual_seed(0), density=0.01, length=15, angle=90.0)
    assert streaks.shape == (1, 64, 64) and float(streaks.max()) > 0.2
    assert float(rainy[:, streaks[0] > 0.2].mean()) > float(rainy[:, streaks[0] == 0].mean())
    snowy, alpha = add_snow(x, torch.Generator().manual_seed(0))
    assert float(alpha.max()) > 0.5 and torch.equal(snowy[:, alpha[0] == 0], x[:, alpha[0] == 0])
    assert bool((snowy >= x - 1e-6).all())                            # white flakes over a dark image


def test_warp_by_whole_pixels_is_a_shift():
    x = _img(3)
    y = warp(x, FrameMotion(dx=2.0, dy=-1.0))
    assert torch.allclose(y[:, 4:-4, 4:-4], x[:, 3:-5, 6:-2], atol=1e-5)
    assert torch.equal(warp(x, FrameMotion()), x)


def test_synthetic_burst_is_seeded_and_carries_a_moving_object():
    clean = _img(4, 64, 96)
    kw = dict(n=6, sigma=10.0, moving_object=True)
    a = synth_burst(clean, gen=torch.Generator().manual_seed(0), **kw)
    b = synth_burst(clean, gen=torch.Generator().manual_seed(0), **kw)
    assert torch.equal(a.frames, b.frames) and a.object_box == b.object_box
    assert a.frames.shape == (6, 3, 64, 96) and a.motions[0] == FrameMotion()
    y, x, s = a.object_box
    noise = (a.frames[0] - a.target)[:, y:y + s, x:x + s]
    assert float(noise.std()) * 255 == pytest.approx(10, rel=0.25)   # frame 0 shows the object where the target does
    sr = synth_burst(clean, 4, torch.Generator().manual_seed(1), scale=2, pattern="RGGB")
    assert sr.frames.shape == (4, 1, 32, 48) and sr.target.shape == (3, 64, 96)
    with pytest.raises(ValueError, match="at least one frame"):
        synth_burst(clean, 0, torch.Generator())
