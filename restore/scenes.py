"""Scene degradations for synthetic training and test pairs: reflections, haze, rain and snow.

Each is a pure torch function of a clean sRGB image (…×3×H×W in [0, 1]) and a seeded generator, physically
motivated and computed in linear light where light adds:

- reflection: a second photo, blurred (out of focus), optionally ghosted (a shifted copy from the glass's back
  surface) and attenuated, added to the transmitted scene (Zhang et al. 2018; the UHD reflection benchmark);
- haze: the atmospheric scattering model ``I = J·t + A·(1 - t)``, ``t = exp(-β·d)``, with depth from a simple
  prior (farther towards the top of the frame, plus a smooth random field);
- rain: streaks (sparse drops smeared along one direction by a line kernel) added to the image, with the veil
  of rain accumulation as light haze;
- snow: flakes of a few sizes (soft discs) composited over the image.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import torch
import torch.nn.functional as F

from restore.degrade import linear_to_srgb, srgb_to_linear

__all__ = ["gaussian_blur", "line_kernel", "smooth_field", "ReflectionParams", "sample_reflection",
           "add_reflection", "haze_depth", "add_haze", "add_rain", "add_snow"]


def _u(gen: Optional[torch.Generator], lo: float, hi: float) -> float:
    return lo + (hi - lo) * float(torch.rand(1, generator=gen))


def gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of …×C×H×W with reflect padding (σ in pixels; 0 returns ``x``)."""
    if sigma <= 0:
        return x
    r = max(1, int(math.ceil(3 * sigma)))
    t = torch.arange(-r, r + 1, dtype=x.dtype)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    k = k / k.sum()
    shape = x.shape
    y = x.reshape(-1, 1, *shape[-2:])
    r_h, r_w = min(r, shape[-2] - 1), min(r, shape[-1] - 1)
    y = F.conv2d(F.pad(y, (r_w, r_w, 0, 0), mode="reflect"), k[r - r_w:r + r_w + 1].view(1, 1, 1, -1))
    y = F.conv2d(F.pad(y, (0, 0, r_h, r_h), mode="reflect"), k[r - r_h:r + r_h + 1].view(1, 1, -1, 1))
    return y.reshape(shape)


def line_kernel(length: int, angle_deg: float) -> torch.Tensor:
    """A normalised (2r+1)² kernel that smears a point into a line of ``length`` pixels at ``angle_deg``."""
    r = max(1, length // 2)
    yy, xx = torch.meshgrid(torch.arange(-r, r + 1.0), torch.arange(-r, r + 1.0), indexing="ij")
    a = math.radians(angle_deg)
    along = xx * math.cos(a) + yy * math.sin(a)
    across = -xx * math.sin(a) + yy * math.cos(a)
    k = ((along.abs() <= r) * torch.clamp(1 - across.abs(), min=0)).float()
    return k / k.sum()


def smooth_field(h: int, w: int, gen: Optional[torch.Generator], cells: int = 4) -> torch.Tensor:
    """H×W smooth random field in [0, 1]: bicubic upsampling of a ``cells``×``cells`` grid of uniform values."""
    grid = torch.rand(1, 1, cells, cells, generator=gen)
    f = F.interpolate(grid, size=(h, w), mode="bicubic", align_corners=True)[0, 0]
    return (f - f.min()) / (f.max() - f.min()).clamp_min(1e-6)


# -- reflection -------------------------------------------------------------------------------------------------
@dataclass
class ReflectionParams:
    blur: float = 2.0           # Gaussian σ of the out-of-focus reflection, pixels
    strength: float = 0.3       # share of the reflected light (linear)
    transmission: float = 0.9   # glass transmittance of the scene behind it (linear)
    ghost_dx: int = 0           # offset of the ghost (second-surface) copy, pixels
    ghost_dy: int = 0
    ghost_gain: float = 0.0     # its brightness relative to the first reflection


def sample_reflection(gen: Optional[torch.Generator]) -> ReflectionParams:
    """Random glass: blur σ 0-5, strength 0.1-0.45, transmittance 0.75-1, a ghost half of the time."""
    ghost = _u(gen, 0, 1) < 0.5
    return ReflectionParams(blur=_u(gen, 0, 5), strength=_u(gen, 0.1, 0.45), transmission=_u(gen, 0.75, 1.0),
                            ghost_dx=int(_u(gen, -8, 8)) if ghost else 0, ghost_dy=int(_u(gen, -8, 8)) if ghost else 0,
                            ghost_gain=_u(gen, 0.3, 0.8) if ghost else 0.0)


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


# -- haze -------------------------------------------------------------------------------------------------------
def haze_depth(h: int, w: int, gen: Optional[torch.Generator]) -> torch.Tensor:
    """H×W relative depth in [0, 1]: increasing towards the top of the frame, plus a smooth random field."""
    ramp = torch.linspace(1.0, 0.0, h).view(h, 1).expand(h, w)
    return (0.6 * ramp + 0.4 * smooth_field(h, w, gen)).clamp(0, 1)


def add_haze(x: torch.Tensor, gen: Optional[torch.Generator], beta: Optional[float] = None,
             airlight: Optional[float] = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(hazy image, transmission map 1×H×W): ``I = J·t + A·(1 - t)`` in linear light, ``t = exp(-β·d)``."""
    h, w = x.shape[-2:]
    beta = _u(gen, 0.3, 1.5) if beta is None else beta
    a = _u(gen, 0.7, 0.95) if airlight is None else airlight
    tint = torch.tensor([_u(gen, 0.95, 1.0), 1.0, _u(gen, 0.95, 1.05)]).view(3, 1, 1).to(x.dtype)
    t = torch.exp(-beta * haze_depth(h, w, gen))[None].to(x.dtype)
    lin = srgb_to_linear(x) * t + (a * tint).clamp(0, 1) * (1 - t)
    return linear_to_srgb(lin), t


# -- rain and snow ----------------------------------------------------------------------------------------------
def add_rain(x: torch.Tensor, gen: Optional[torch.Generator], density: Optional[float] = None,
             length: Optional[int] = None, angle: Optional[float] = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(rainy image, streak layer 1×H×W in [0, 1]): sparse drops smeared into streaks, added in linear light,
    plus a faint veil of accumulated rain."""
    h, w = x.shape[-2:]
    density = _u(gen, 0.002, 0.012) if density is None else density
    length = int(_u(gen, 8, 30)) if length is None else length
    angle = _u(gen, 60, 120) if angle is None else angle
    drops = (torch.rand(1, 1, h, w, generator=gen) < density).float() * torch.rand(1, 1, h, w, generator=gen)
    k = line_kernel(length, angle)
    r = k.shape[-1] // 2
    streaks = F.conv2d(F.pad(drops, (r, r, r, r)), k[None, None])[0] * (length / 3)
    streaks = gaussian_blur(streaks, 0.5).clamp(0, 1) * _u(gen, 0.5, 0.9)
    lin = srgb_to_linear(x) + streaks
    veil, _ = add_haze(linear_to_srgb(lin.clamp(0, 1)), gen, beta=_u(gen, 0.0, 0.25), airlight=_u(gen, 0.75, 0.95))
    return veil, streaks


def add_snow(x: torch.Tensor, gen: Optional[torch.Generator], density: Optional[float] = None) -> tuple[
        torch.Tensor, torch.Tensor]:
    """(snowy image, flake opacity 1×H×W): soft flakes of three sizes (small and many, large and few)
    composited over the image with a slightly blue-white colour."""
    h, w = x.shape[-2:]
    density = _u(gen, 0.5, 1.5) if density is None else density
    alpha = torch.zeros(1, 1, h, w)
    for sigma, share in ((0.7, 0.004), (1.5, 0.0008), (3.0, 0.00015)):
        seeds = (torch.rand(1, 1, h, w, generator=gen) < share * density).float()
        flakes = gaussian_blur(seeds, sigma) * (2 * math.pi * sigma ** 2) * _u(gen, 0.6, 1.0)
        alpha = 1 - (1 - alpha) * (1 - flakes.clamp(0, 1))
    colour = torch.tensor([0.93, 0.95, 1.0]).view(3, 1, 1).to(x.dtype)
    a = alpha[0].to(x.dtype)
    return x * (1 - a) + colour * a, a
