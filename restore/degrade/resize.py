"""Downscaling for super-resolution: MATLAB-compatible bicubic (:func:`restore.resize.imresize`), rounded to 8 bits
as the LR image of the benchmarks is, by an integer scale or to a size; and a random (possibly asymmetric) scale.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch

from restore.degrade.compose import Op, coin, uniform
from restore.resize import imresize

__all__ = ["mod_crop", "bicubic_downscale", "bicubic_upscale", "downscale_to", "BicubicDown", "ScaleParams",
           "sample_scale", "apply_scale", "RandomScale"]


def mod_crop(img: torch.Tensor, scale: int) -> torch.Tensor:
    """Crop the bottom/right so height and width are multiples of ``scale``."""
    h, w = img.shape[-2:]
    return img[..., : h - h % scale, : w - w % scale]


def _to_u8_range(x: torch.Tensor) -> torch.Tensor:
    return x.round().clamp(0, 255)


def bicubic_downscale(hr: torch.Tensor, scale: int) -> torch.Tensor:
    """MATLAB ``imresize(hr, 1/scale, 'bicubic')`` of a 0–255 image, rounded to integers (the SR input)."""
    return _to_u8_range(imresize(hr.double(), 1.0 / scale)).to(hr.dtype)


def bicubic_upscale(lr: torch.Tensor, scale: int) -> torch.Tensor:
    """MATLAB ``imresize(lr, scale, 'bicubic')`` of a 0–255 image, rounded (the bicubic SR baseline)."""
    return _to_u8_range(imresize(lr.double(), float(scale))).to(lr.dtype)


def downscale_to(hr: torch.Tensor, lh: int, lw: int) -> torch.Tensor:
    """HR in [0, 1] (…×H×W) → its MATLAB-bicubic resize to lh×lw, rounded to 8 bits (the benchmarks' LR)."""
    return imresize(hr * 255, size=(lh, lw)).round().clamp(0, 255) / 255


@dataclass(frozen=True)
class BicubicDown(Op):
    """The fixed-scale SR input: a 0-255 image mod-cropped to ``scale`` and bicubic-downscaled (no randomness)."""
    scale: int

    def apply(self, x: torch.Tensor, params=None) -> torch.Tensor:
        return bicubic_downscale(mod_crop(x, self.scale), self.scale)


@dataclass(frozen=True)
class ScaleParams:
    sy: float                    # vertical scale factor (HR side / LR side)
    sx: float                    # horizontal scale factor


def sample_scale(generator: Optional[torch.Generator], lo: float = 1.0, hi: float = 4.0,
                 asymmetric: float = 0.0) -> ScaleParams:
    """A (vertical, horizontal) scale pair, each in [lo, hi); equal unless an ``asymmetric`` coin says no."""
    sy = uniform(generator, lo, hi)
    return ScaleParams(sy, uniform(generator, lo, hi) if coin(generator, asymmetric) else sy)


def apply_scale(x: torch.Tensor, p: ScaleParams) -> torch.Tensor:
    """An image in [0, 1] (…×H×W) downscaled by ``p`` to round(H / sy)×round(W / sx) (at least 2×2)."""
    h, w = x.shape[-2:]
    return downscale_to(x, max(2, round(h / p.sy)), max(2, round(w / p.sx)))


@dataclass(frozen=True)
class RandomScale(Op):
    """Arbitrary-scale SR input: one random scale pair (:func:`sample_scale`) for the whole image or batch."""
    lo: float = 1.0
    hi: float = 4.0
    asymmetric: float = 0.0

    def sample(self, generator, x) -> ScaleParams:
        return sample_scale(generator, self.lo, self.hi, self.asymmetric)

    def apply(self, x: torch.Tensor, params: ScaleParams) -> torch.Tensor:
        return apply_scale(x, params)
