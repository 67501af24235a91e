"""Upsampling heads: pixel-shuffle (ESPCN) tails, registered by name."""
from __future__ import annotations

import torch
import torch.nn as nn

from restore.registry import HEADS

__all__ = ["PixelShuffleHead", "pixel_shuffle_head"]


class PixelShuffleHead(nn.Module):
    """conv3×3 to ``out_ch·s²`` channels, then PixelShuffle(s): one sub-pixel layer (ESPCN)."""

    def __init__(self, channels: int, scale: int, out_channels: int = 3):
        super().__init__()
        self.scale = scale
        self.conv = nn.Conv2d(channels, out_channels * scale * scale, 3, padding=1)
        self.shuffle = nn.PixelShuffle(scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.shuffle(self.conv(x))


@HEADS.register("pixelshuffle")
def pixel_shuffle_head(channels: int, scale: int, out_channels: int = 3) -> nn.Module:
    return PixelShuffleHead(channels, scale, out_channels)
