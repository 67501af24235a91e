"""Downscaling for super-resolution: MATLAB-compatible bicubic (:func:`restore.resize.imresize`), rounded to 8 bits
as the LR image of the benchmarks is, by an integer scale or to a size; and a random (possibly asymmetric) scale.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch
import torch.nn.functional as F

from restore.degrade.compose import Op, coin, uniform
from restore.resize import imresize

__all__ = ["mod_crop", "bicubic_downscale", "bicubic_upscale", "downscale_to", "BicubicDown", "ScaleParams",
           "sample_scale", "apply_scale", "RandomScale", "RESIZE_MODES", "resize_to", "ResizeParams", "sample_resize",
           "apply_resize", "RandomResize"]


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


# -- resamplers of the wild: the kernels of other software, to a given size --------------------------------------
RESIZE_MODES = ("area", "bilinear", "bicubic", "matlab")


def resize_to(x: torch.Tensor, h: int, w: int, mode: str) -> torch.Tensor:
    """…×C×H×W in [0, 1] resized to h×w with ``mode`` of :data:`RESIZE_MODES` (torch's area, antialiased bilinear
    and bicubic as image libraries resample, or MATLAB's bicubic); clipped to [0, 1]."""
    if mode == "matlab":
        y = imresize(x, size=(h, w))
    else:
        shape = x.shape
        x4 = x.reshape(1, -1, *shape[-2:])
        y = (F.interpolate(x4, size=(h, w), mode="area") if mode == "area" else
             F.interpolate(x4, size=(h, w), mode=mode, align_corners=False, antialias=True))
        y = y.reshape(*shape[:-2], h, w)
    return y.clamp(0, 1)


@dataclass(frozen=True)
class ResizeParams:
    h: int
    w: int
    mode: str                    # one of RESIZE_MODES


def sample_resize(generator: Optional[torch.Generator], h: int, w: int, lo: float = 1.0, hi: float = 1.0,
                  modes: tuple[str, ...] = RESIZE_MODES) -> ResizeParams:
    """A target of round(f·h)×round(f·w) with f uniform in [lo, hi] (both sides at least 2), and a mode."""
    f = uniform(generator, lo, hi) if hi > lo else lo
    mode = modes[int(torch.randint(len(modes), (1,), generator=generator))]
    return ResizeParams(max(2, round(f * h)), max(2, round(f * w)), mode)


def apply_resize(x: torch.Tensor, p: ResizeParams) -> torch.Tensor:
    return resize_to(x, p.h, p.w, p.mode)


@dataclass(frozen=True)
class RandomResize(Op):
    """Resize to a size relative to h×w (factor in [lo, hi]; 1 and 1: exactly h×w) by a random resampler."""
    h: int
    w: int
    lo: float = 1.0
    hi: float = 1.0
    modes: tuple[str, ...] = RESIZE_MODES

    def sample(self, generator, x) -> ResizeParams:
        return sample_resize(generator, self.h, self.w, self.lo, self.hi, self.modes)

    def apply(self, x, params: ResizeParams):
        return apply_resize(x, params)
