"""Reflections: a photo through glass, in linear light."""
from __future__ import annotations

import torch

from restore.degrade.color import linear_to_srgb, srgb_to_linear
from restore.degrade.reflection import (ReflectionParams, ThroughGlass, add_reflection, apply_reflection,
                                        sample_reflection, transmitted)

from .contract import check_op, params_over_seeds


def _img(seed: int = 0, h: int = 48, w: int = 64) -> torch.Tensor:
    return torch.rand(3, h, w, generator=torch.Generator().manual_seed(seed))


def test_reflection_adds_in_linear_light():
    scene, refl = _img(0), _img(1)
    p = ReflectionParams(blur=0.0, strength=0.25, transmission=0.8)
    photo, t, r = add_reflection(scene, refl, p)
    want = linear_to_srgb((srgb_to_linear(scene) * 0.8 + srgb_to_linear(refl) * 0.25).clamp(0, 1))
    assert torch.allclose(photo, want, atol=1e-5)
    assert torch.allclose(t, linear_to_srgb(srgb_to_linear(scene) * 0.8), atol=1e-6)
    assert torch.equal(t, transmitted(scene, p)) and torch.equal(photo, apply_reflection(scene, refl, p))
    g = lambda: torch.Generator().manual_seed(5)  # noqa: E731
    assert sample_reflection(g()) == sample_reflection(g())


def test_glass_params_are_in_range():
    ps = params_over_seeds(sample_reflection)
    for p in ps:
        assert 0 <= p.blur < 5 and 0.1 <= p.strength < 0.45 and 0.75 <= p.transmission < 1
        assert -8 < p.ghost_dx < 8 and -8 < p.ghost_dy < 8
        assert p.ghost_gain == 0 or 0.3 <= p.ghost_gain < 0.8
    assert 0.35 < sum(p.ghost_gain > 0 for p in ps) / len(ps) < 0.65          # a ghost half of the time


def test_through_glass_keeps_the_contract():
    scene, other = _img(2), _img(3)
    y, p = check_op(ThroughGlass(other), scene)
    assert torch.equal(y, add_reflection(scene, other, p)[0])
