"""Weather: haze, rain and snow over a clean sRGB image (…×3×H×W in [0, 1]), computed in linear light where light
adds:

- haze: the atmospheric scattering model ``I = J·t + A·(1 - t)``, ``t = exp(-β·d)``, with depth from a simple
  prior (farther towards the top of the frame, plus a smooth random field);
- rain: streaks (sparse drops smeared along one direction by a line kernel) added to the image, with the veil
  of rain accumulation as light haze;
- snow: flakes of a few sizes (soft discs) composited over the image.

Each sample draws the spatial randomness too (the depth grid, the drops, the flake seeds), so apply is pure.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import torch

from restore.degrade.blur import gaussian_blur, line_blur, render_field, sample_field
from restore.degrade.color import linear_to_srgb, srgb_to_linear
from restore.degrade.compose import Op, uniform

__all__ = ["HazeParams", "sample_haze", "haze_transmission", "apply_haze", "haze_depth", "add_haze", "Haze",
           "RainParams", "sample_rain", "rain_streaks", "apply_rain", "add_rain", "Rain",
           "SNOW_SIZES", "SnowParams", "sample_snow", "snow_alpha", "apply_snow", "add_snow", "Snow", "WEATHER_OPS"]


# -- haze -------------------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class HazeParams:
    beta: float                  # scattering coefficient (per unit of relative depth)
    airlight: float              # brightness of the scattered light (linear)
    tint: tuple                  # its (R, G, B) tint, G = 1
    field: torch.Tensor          # 1×1×4×4 grid of the random part of the depth


def sample_haze(generator: Optional[torch.Generator], beta: Optional[float] = None,
                airlight: Optional[float] = None) -> HazeParams:
    """β 0.3-1.5 and airlight 0.7-0.95 unless given, a tint R 0.95-1, B 0.95-1.05, and the depth's random grid."""
    beta = uniform(generator, 0.3, 1.5) if beta is None else beta
    a = uniform(generator, 0.7, 0.95) if airlight is None else airlight
    tint = (uniform(generator, 0.95, 1.0), 1.0, uniform(generator, 0.95, 1.05))
    return HazeParams(beta, a, tint, sample_field(generator))


def _depth(h: int, w: int, field: torch.Tensor) -> torch.Tensor:
    ramp = torch.linspace(1.0, 0.0, h).view(h, 1).expand(h, w)
    return (0.6 * ramp + 0.4 * render_field(field, h, w)).clamp(0, 1)


def haze_depth(h: int, w: int, gen: Optional[torch.Generator]) -> torch.Tensor:
    """H×W relative depth in [0, 1]: increasing towards the top of the frame, plus a smooth random field."""
    return _depth(h, w, sample_field(gen))


def haze_transmission(p: HazeParams, h: int, w: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """The transmission map ``t = exp(-β·d)``, 1×H×W."""
    return torch.exp(-p.beta * _depth(h, w, p.field))[None].to(dtype)


def apply_haze(x: torch.Tensor, p: HazeParams) -> torch.Tensor:
    """``I = J·t + A·(1 - t)`` in linear light."""
    t = haze_transmission(p, *x.shape[-2:], x.dtype)
    tint = torch.tensor(p.tint).view(3, 1, 1).to(x.dtype)
    return linear_to_srgb(srgb_to_linear(x) * t + (p.airlight * tint).clamp(0, 1) * (1 - t))


def add_haze(x: torch.Tensor, gen: Optional[torch.Generator], beta: Optional[float] = None,
             airlight: Optional[float] = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(hazy image, transmission map 1×H×W): :func:`sample_haze` then :func:`apply_haze`."""
    p = sample_haze(gen, beta, airlight)
    return apply_haze(x, p), haze_transmission(p, *x.shape[-2:], x.dtype)


@dataclass(frozen=True)
class Haze(Op):
    def sample(self, generator, x) -> HazeParams:
        return sample_haze(generator)

    def apply(self, x, params: HazeParams):
        return apply_haze(x, params)


# -- rain -------------------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class RainParams:
    density: float               # share of pixels that start a streak
    length: int                  # streak length, pixels
    angle: float                 # streak direction, degrees (90: vertical)
    drops: torch.Tensor          # 1×1×H×W: each drop's brightness where there is one, else 0
    brightness: float            # streak layer gain
    veil: HazeParams             # the light haze of accumulated rain


def sample_rain(generator: Optional[torch.Generator], h: int, w: int, density: Optional[float] = None,
                length: Optional[int] = None, angle: Optional[float] = None) -> RainParams:
    """Unless given: density 0.002-0.012, length 8-29 pixels, angle 60-120°; then the drops, brightness 0.5-0.9
    and a veil of haze (β 0-0.25, airlight 0.75-0.95)."""
    density = uniform(generator, 0.002, 0.012) if density is None else density
    length = int(uniform(generator, 8, 30)) if length is None else length
    angle = uniform(generator, 60, 120) if angle is None else angle
    drops = ((torch.rand(1, 1, h, w, generator=generator) < density).float()
             * torch.rand(1, 1, h, w, generator=generator))
    brightness = uniform(generator, 0.5, 0.9)
    beta, airlight = uniform(generator, 0.0, 0.25), uniform(generator, 0.75, 0.95)
    return RainParams(density, length, angle, drops, brightness, sample_haze(generator, beta, airlight))


def rain_streaks(p: RainParams) -> torch.Tensor:
    """The streak layer, 1×H×W in [0, 1] (linear light)."""
    streaks = line_blur(p.drops, p.length, p.angle, mode="constant")[0] * (p.length / 3)
    return gaussian_blur(streaks, 0.5).clamp(0, 1) * p.brightness


def apply_rain(x: torch.Tensor, p: RainParams) -> torch.Tensor:
    """Streaks added in linear light, then the veil."""
    lin = srgb_to_linear(x) + rain_streaks(p)
    return apply_haze(linear_to_srgb(lin.clamp(0, 1)), p.veil)


def add_rain(x: torch.Tensor, gen: Optional[torch.Generator], density: Optional[float] = None,
             length: Optional[int] = None, angle: Optional[float] = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(rainy image, streak layer 1×H×W in [0, 1]): :func:`sample_rain` then :func:`apply_rain`."""
    p = sample_rain(gen, *x.shape[-2:], density, length, angle)
    return apply_rain(x, p), rain_streaks(p)


@dataclass(frozen=True)
class Rain(Op):
    def sample(self, generator, x) -> RainParams:
        return sample_rain(generator, *x.shape[-2:])

    def apply(self, x, params: RainParams):
        return apply_rain(x, params)


# -- snow -------------------------------------------------------------------------------------------------------
SNOW_SIZES = ((0.7, 0.004), (1.5, 0.0008), (3.0, 0.00015))    # (flake σ in pixels, share of pixels at density 1)


@dataclass(frozen=True, eq=False)
class SnowParams:
    density: float               # multiplies every size's share
    seeds: tuple                 # per size of SNOW_SIZES: 1×1×H×W bool, where a flake is centred
    opacity: tuple               # per size: the flakes' opacity


def sample_snow(generator: Optional[torch.Generator], h: int, w: int, density: Optional[float] = None) -> SnowParams:
    """Density 0.5-1.5 unless given; per flake size its centres and an opacity 0.6-1."""
    density = uniform(generator, 0.5, 1.5) if density is None else density
    seeds, opacity = [], []
    for _, share in SNOW_SIZES:
        seeds.append(torch.rand(1, 1, h, w, generator=generator) < share * density)
        opacity.append(uniform(generator, 0.6, 1.0))
    return SnowParams(density, tuple(seeds), tuple(opacity))


def snow_alpha(p: SnowParams) -> torch.Tensor:
    """The flakes' opacity, 1×1×H×W in [0, 1]: soft discs, the sizes composited over each other."""
    alpha = torch.zeros(p.seeds[0].shape)
    for (sigma, _), seeds, opacity in zip(SNOW_SIZES, p.seeds, p.opacity):
        flakes = gaussian_blur(seeds.float(), sigma) * (2 * math.pi * sigma ** 2) * opacity
        alpha = 1 - (1 - alpha) * (1 - flakes.clamp(0, 1))
    return alpha


def apply_snow(x: torch.Tensor, p: SnowParams) -> torch.Tensor:
    """Flakes of a slightly blue white composited over ``x``."""
    colour = torch.tensor([0.93, 0.95, 1.0]).view(3, 1, 1).to(x.dtype)
    a = snow_alpha(p)[0].to(x.dtype)
    return x * (1 - a) + colour * a


def add_snow(x: torch.Tensor, gen: Optional[torch.Generator], density: Optional[float] = None) -> tuple[
        torch.Tensor, torch.Tensor]:
    """(snowy image, flake opacity 1×H×W): :func:`sample_snow` then :func:`apply_snow`."""
    p = sample_snow(gen, *x.shape[-2:], density)
    return apply_snow(x, p), snow_alpha(p)[0].to(x.dtype)


@dataclass(frozen=True)
class Snow(Op):
    def sample(self, generator, x) -> SnowParams:
        return sample_snow(generator, *x.shape[-2:])

    def apply(self, x, params: SnowParams):
        return apply_snow(x, params)


WEATHER_OPS = {"rain": Rain, "haze": Haze, "snow": Snow}     # by the names restore.tasks.scene.WEATHER uses
