"""Blur: Gaussian (out of focus), line (motion) kernels, and smooth random fields.

kornia.filters.gaussian_blur2d matches our separable blur (max 2e-7) and ran 3-14× faster (3×512×512, σ 0.5 / 2 / 5:
6 / 13 / 28 ms against 89 / 79 / 98 ms), so the Gaussian blur uses it; kornia.filters.get_motion_kernel2d differs
from our anti-aliased line off the axes (up to 0.048) and is 4× slower to build, so the line kernel stays ours.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import kornia.filters
import torch
import torch.nn.functional as F

from restore.degrade.compose import Op, draw

__all__ = ["gaussian_blur", "filter2d", "line_kernel", "line_blur", "sample_field", "render_field", "smooth_field",
           "GaussianBlurParams", "sample_gaussian_blur", "apply_gaussian_blur", "GaussianBlur",
           "MotionBlurParams", "sample_motion_blur", "apply_motion_blur", "MotionBlur"]


def gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Gaussian blur of …×C×H×W with reflect padding (σ in pixels; 0 returns ``x``). The kernel reaches 3σ, cut
    to the image where the image is smaller."""
    if sigma <= 0:
        return x
    r = max(1, int(math.ceil(3 * sigma)))
    h, w = x.shape[-2:]
    size = (2 * min(r, h - 1) + 1, 2 * min(r, w - 1) + 1)
    return kornia.filters.gaussian_blur2d(x.reshape(1, -1, h, w), size, (sigma, sigma),
                                          border_type="reflect").reshape(x.shape)


def line_kernel(length: int, angle_deg: float) -> torch.Tensor:
    """A normalised (2r+1)² kernel that smears a point into a line of ``length`` pixels at ``angle_deg``."""
    r = max(1, length // 2)
    yy, xx = torch.meshgrid(torch.arange(-r, r + 1.0), torch.arange(-r, r + 1.0), indexing="ij")
    a = math.radians(angle_deg)
    along = xx * math.cos(a) + yy * math.sin(a)
    across = -xx * math.sin(a) + yy * math.cos(a)
    k = ((along.abs() <= r) * torch.clamp(1 - across.abs(), min=0)).float()
    return k / k.sum()


def filter2d(x: torch.Tensor, kernel: torch.Tensor, mode: str = "reflect") -> torch.Tensor:
    """…×C×H×W convolved with one odd k×k kernel in every channel, padded by ``mode`` ("reflect", "replicate" or
    "constant" for zeros). Reflect padding cannot reach past the image, so there a kernel wider than the image
    is cut to it and renormalised."""
    k = kernel.to(x.dtype)
    h, w = x.shape[-2:]
    r = k.shape[-1] // 2
    if mode == "reflect" and r >= min(h, w):
        c = min(h, w) - 1
        k = k[r - c:r + c + 1, r - c:r + c + 1]
        k, r = k / k.sum(), c
    y = F.pad(x.reshape(1, -1, h, w), (r, r, r, r), mode=mode)
    return F.conv2d(y, k.expand(y.shape[1], 1, -1, -1), groups=y.shape[1]).reshape(x.shape)


def line_blur(x: torch.Tensor, length: int, angle_deg: float, mode: str = "replicate") -> torch.Tensor:
    """…×C×H×W convolved with :func:`line_kernel` (``mode``: the padding, "replicate" or "constant" for zeros)."""
    return filter2d(x, line_kernel(length, angle_deg), mode)


def sample_field(generator: Optional[torch.Generator], cells: int = 4) -> torch.Tensor:
    """The random part of a smooth field: a ``cells``×``cells`` grid of uniform values."""
    return torch.rand(1, 1, cells, cells, generator=generator)


def render_field(grid: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """H×W smooth field in [0, 1]: bicubic upsampling of ``grid`` (1×1×cells×cells), stretched to [0, 1]."""
    f = F.interpolate(grid, size=(h, w), mode="bicubic", align_corners=True)[0, 0]
    return (f - f.min()) / (f.max() - f.min()).clamp_min(1e-6)


def smooth_field(h: int, w: int, gen: Optional[torch.Generator], cells: int = 4) -> torch.Tensor:
    """H×W smooth random field in [0, 1]: bicubic upsampling of a ``cells``×``cells`` grid of uniform values."""
    return render_field(sample_field(gen, cells), h, w)


# -- as degradations --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GaussianBlurParams:
    sigma: float                 # pixels


def sample_gaussian_blur(generator: Optional[torch.Generator], sigma=(0.0, 3.0)) -> GaussianBlurParams:
    """σ: the given number, or uniform in the (lo, hi) pair (default 0-3 pixels)."""
    return GaussianBlurParams(float(draw(generator, sigma)))


def apply_gaussian_blur(x: torch.Tensor, p: GaussianBlurParams) -> torch.Tensor:
    return gaussian_blur(x, p.sigma)


@dataclass(frozen=True)
class GaussianBlur(Op):
    sigma: tuple = (0.0, 3.0)

    def sample(self, generator, x) -> GaussianBlurParams:
        return sample_gaussian_blur(generator, self.sigma)

    def apply(self, x, params: GaussianBlurParams):
        return apply_gaussian_blur(x, params)


@dataclass(frozen=True)
class MotionBlurParams:
    length: int                  # pixels
    angle: float                 # degrees, counter-clockwise from the x axis (y pointing down)


def sample_motion_blur(generator: Optional[torch.Generator], length=(3, 15), angle=(0.0, 180.0)) -> MotionBlurParams:
    """Length: int of a uniform draw in the (lo, hi) pair (default 3-15 pixels); angle uniform in 0-180°."""
    return MotionBlurParams(int(draw(generator, length)), float(draw(generator, angle)))


def apply_motion_blur(x: torch.Tensor, p: MotionBlurParams) -> torch.Tensor:
    """A straight camera shake: ``x`` smeared along a line (borders replicated)."""
    return line_blur(x, p.length, p.angle)


@dataclass(frozen=True)
class MotionBlur(Op):
    length: tuple = (3, 15)
    angle: tuple = (0.0, 180.0)

    def sample(self, generator, x) -> MotionBlurParams:
        return sample_motion_blur(generator, self.length, self.angle)

    def apply(self, x, params: MotionBlurParams):
        return apply_motion_blur(x, params)
