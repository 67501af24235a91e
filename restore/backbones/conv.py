"""Conv backbones: stacks of residual blocks working at the input resolution.

Every body maps C→C channels, keeps the spatial size, and reports its receptive-field radius so the
tiler can choose an overlap that makes tiled inference exact.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from restore.layers.conv import NAFBlock, ResBlock, conv3x3
from restore.registry import BACKBONES

__all__ = ["ConvBody", "res_body", "naf_body"]


class ConvBody(nn.Module):
    """Sequence of blocks followed by a 3×3 conv, with a long skip connection."""

    def __init__(self, blocks: list[nn.Module], channels: int, radius: int):
        super().__init__()
        self.blocks = nn.Sequential(*blocks)
        self.fuse = conv3x3(channels, channels)
        self.channels = channels
        self.multiple = 1          # convolutions work on any grid
        self.receptive_radius = radius + 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.fuse(self.blocks(x))


@BACKBONES.register("res")
def res_body(channels: int = 32, blocks: int = 4) -> ConvBody:
    """EDSR-like body of ``blocks`` residual blocks (two 3×3 convs each)."""
    return ConvBody([ResBlock(channels) for _ in range(blocks)], channels, radius=2 * blocks)


@BACKBONES.register("naf")
def naf_body(channels: int = 32, blocks: int = 4, expand: int = 2, kernel: int = 3) -> ConvBody:
    """NAFNet-style body (depthwise k×k mixer + gated FFN)."""
    return ConvBody([NAFBlock(channels, expand, kernel) for _ in range(blocks)], channels,
                    radius=blocks * (kernel // 2))
