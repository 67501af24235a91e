"""Reflections: a photo through glass. A second scene, blurred (out of focus), optionally ghosted (a shifted copy
from the glass's back surface) and attenuated, adds in linear light to the transmitted scene (Zhang et al. 2018;
the UHD reflection benchmark).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch

from restore.degrade.blur import gaussian_blur
from restore.degrade.color import linear_to_srgb, srgb_to_linear
from restore.degrade.compose import Op, uniform

__all__ = ["ReflectionParams", "sample_reflection", "apply_reflection", "transmitted", "add_reflection",
           "ThroughGlass"]


@dataclass
class ReflectionParams:
    blur: float = 2.0           # Gaussian σ of the out-of-focus reflection, pixels
    strength: float = 0.3       # share of the reflected light (linear)
    transmission: float = 0.9   # glass transmittance of the scene behind it (linear)
    ghost_dx: int = 0           # offset of the ghost (second-surface) copy, pixels
    ghost_dy: int = 0
    ghost_gain: float = 0.0     # its brightness relative to the first reflection


def sample_reflection(gen: Optional[torch.Generator]) -> ReflectionParams:
    """Random glass: blur σ 0-5, strength 0.1-0.45, transmittance 0.75-1, a ghost half of the time (offsets
    -8..7 pixels, gain 0.3-0.8)."""
    ghost = uniform(gen, 0, 1) < 0.5
    return ReflectionParams(blur=uniform(gen, 0, 5), strength=uniform(gen, 0.1, 0.45),
                            transmission=uniform(gen, 0.75, 1.0),
                            ghost_dx=int(uniform(gen, -8, 8)) if ghost else 0,
                            ghost_dy=int(uniform(gen, -8, 8)) if ghost else 0,
                            ghost_gain=uniform(gen, 0.3, 0.8) if ghost else 0.0)


def add_reflection(scene: torch.Tensor, reflected: torch.Tensor,
                      p: ReflectionParams) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(photo through glass, transmission layer, reflection layer), all sRGB in [0, 1] and the scene's size.

    The two layers add in linear light; the photo is clipped as a sensor would.
    """
    t = srgb_to_linear(scene) * p.transmission
    r = gaussian_blur(srgb_to_linear(reflected), p.blur)
    if p.ghost_gain:
        r = (r + p.ghost_gain * torch.roll(r, (p.ghost_dy, p.ghost_dx), dims=(-2, -1))) / (1 + p.ghost_gain)
    r = r * p.strength
    return linear_to_srgb((t + r).clamp(0, 1)), linear_to_srgb(t), linear_to_srgb(r)


def transmitted(scene: torch.Tensor, p: ReflectionParams) -> torch.Tensor:
    """The transmission layer alone (the scene as the glass lets it through), sRGB: the dereflection target."""
    return linear_to_srgb(srgb_to_linear(scene) * p.transmission)


def apply_reflection(scene: torch.Tensor, reflected: torch.Tensor, p: ReflectionParams) -> torch.Tensor:
    """The photo through glass: ``scene`` behind it, ``reflected`` seen in it."""
    return add_reflection(scene, reflected, p)[0]



@dataclass(frozen=True, eq=False)
class ThroughGlass(Op):
    """The image photographed through glass that reflects ``reflected`` (the scene's size)."""
    reflected: torch.Tensor

    def sample(self, generator, x) -> ReflectionParams:
        return sample_reflection(generator)

    def apply(self, x, params: ReflectionParams):
        return apply_reflection(x, self.reflected, params)
