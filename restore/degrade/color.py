"""Colour: the sRGB transfer function and its inverse (imported by inference, so torch only), and gray.

kornia.color.rgb_to_linear_rgb / linear_rgb_to_rgb give the same values but were slower (3×512×512: 7.9 against
7.2 ms, 15.4 against 10.3 ms), take only …×3×H×W and cost 0.34 s to import, so these stay ours.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from restore.degrade.compose import Op

__all__ = ["srgb_to_linear", "linear_to_srgb", "to_gray", "Gray"]


def srgb_to_linear(x: torch.Tensor) -> torch.Tensor:
    """sRGB transfer function inverse, for values in [0, 1]."""
    x = x.clamp(0, 1)
    return torch.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(x: torch.Tensor) -> torch.Tensor:
    """sRGB transfer function, for linear values in [0, 1]."""
    x = x.clamp(0, 1)
    return torch.where(x <= 0.0031308, 12.92 * x, 1.055 * x.clamp_min(1e-12) ** (1 / 2.4) - 0.055)


def to_gray(x: torch.Tensor) -> torch.Tensor:
    """…×C×H×W → …×1×H×W: the mean of the channels (a gray photo, seen as one plane)."""
    return x.mean(-3, keepdim=True)


@dataclass(frozen=True)
class Gray(Op):
    """A gray photo: one plane, the mean of the channels (no randomness)."""

    def apply(self, x: torch.Tensor, params=None) -> torch.Tensor:
        return to_gray(x)
