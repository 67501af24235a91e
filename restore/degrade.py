"""Degradations for training and evaluation data, each a pure torch function."""
from __future__ import annotations

import torch

from restore.resize import imresize

__all__ = ["mod_crop", "bicubic_downscale", "bicubic_upscale"]


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
