"""Transformer backbone: HAT-style residual groups of hybrid (window + channel) attention blocks with
SwinV2's cosine attention and log-spaced position bias, each group closed by an overlapping cross-attention
block and a 3×3 conv (the blocks are in :mod:`restore.layers.attention`).

Like the conv bodies it maps C→C channels at the input resolution and reports its receptive radius; it also
reports ``multiple`` (the window size): the tiler keeps tile origins on the window grid, so a tile computes
exactly what the whole image does. Inputs whose sides are not multiples of the window are padded by
reflection and cropped back.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from restore.layers.attention import HybridBlock, OverlapCrossAttention
from restore.layers.conv import conv3x3
from restore.registry import BACKBONES

__all__ = ["TransformerBody", "ResidualGroup"]


class ResidualGroup(nn.Module):
    """``depth`` hybrid blocks (alternately shifted), one overlapping cross-attention block, a 3×3 conv."""

    def __init__(self, channels: int, depth: int, heads: int, window: int, mlp_ratio: float,
                 channel_attention: bool, overlap_ratio: float):
        super().__init__()
        self.blocks = nn.Sequential(*(
            HybridBlock(channels, heads, window, shift=(window // 2) * (i % 2), mlp_ratio=mlp_ratio,
                        channel_attention=channel_attention) for i in range(depth)))
        self.ocab = OverlapCrossAttention(channels, heads, window, overlap_ratio) if overlap_ratio > 0 else None
        self.norm = nn.LayerNorm(channels)
        self.conv = conv3x3(channels, channels)
        self.radius = sum(b.radius for b in self.blocks) + (self.ocab.radius if self.ocab else 0) + 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.blocks(x)
        if self.ocab is not None:
            y = y + self.norm(self.ocab(y).permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        return x + self.conv(y)


class TransformerBody(nn.Module):
    """Residual groups, a 3×3 conv and a long skip (the same outer shape as :class:`ConvBody`)."""

    def __init__(self, channels: int = 48, groups: int = 2, depth: int = 4, heads: int = 3, window: int = 8,
                 mlp_ratio: float = 2.0, channel_attention: bool = True, overlap_ratio: float = 0.5):
        super().__init__()
        self.groups = nn.Sequential(*(ResidualGroup(channels, depth, heads, window, mlp_ratio, channel_attention,
                                                    overlap_ratio) for _ in range(groups)))
        self.fuse = conv3x3(channels, channels)
        self.channels = channels
        self.multiple = window
        self.receptive_radius = sum(g.radius for g in self.groups) + 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        m = self.multiple
        ph, pw = (-h) % m, (-w) % m
        if ph or pw:
            x = F.pad(x, (0, pw, 0, ph), mode="reflect" if min(h, w) > max(ph, pw) else "replicate")
        y = x + self.fuse(self.groups(x))
        return y[..., :h, :w] if ph or pw else y


@BACKBONES.register("swin")
def swin_body(channels: int = 48, blocks: int = 2, depth: int = 4, heads: int = 3, window: int = 8,
              mlp_ratio: float = 2.0, channel_attention: bool = True, overlap_ratio: float = 0.5) -> TransformerBody:
    """The transformer body (see the module docstring) with ``blocks`` residual groups of ``depth`` hybrid
    blocks each (``--blocks`` of the training commands counts groups)."""
    return TransformerBody(channels, blocks, depth, heads, window, mlp_ratio, channel_attention, overlap_ratio)
