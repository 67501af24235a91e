"""The super-resolution network: shallow conv → registered body → one pixel-shuffle tail per scale.

A bicubic upsampling of the input is added to the output, so an untrained tail starts from bicubic
quality and the network only learns the missing detail.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from restore.layers.conv import conv3x3
from restore.layers.upsample import bicubic_phases
from restore.registry import Descriptor, build_backbone, build_head, register_arch

__all__ = ["SRNet"]


@register_arch("srnet")
class SRNet(nn.Module):
    """Multi-scale SR network sharing one body between per-scale tails."""

    def __init__(self, body: str = "res", body_kwargs: dict | None = None, scales: tuple[int, ...] = (2, 3, 4),
                 head: str = "pixelshuffle", in_channels: int = 3):
        super().__init__()
        body_kwargs = dict(body_kwargs or {})
        self.body = build_backbone(body, **body_kwargs)
        ch = self.body.channels
        self.scales = tuple(int(s) for s in scales)
        self.stem = conv3x3(in_channels, ch)
        self.tails = nn.ModuleDict({str(s): build_head(head, channels=ch, scale=s, out_channels=in_channels)
                                    for s in self.scales})
        # radius: stem (1) + body + tail conv (1) + bicubic skip (2); a windowed body wants tiles on its grid
        self.descriptor = Descriptor(radius=1 + self.body.receptive_radius + 1 + 2, multiple=self.body.multiple,
                                     scales=self.scales, in_channels=in_channels, bf16_safe=True,
                                     bytes_per_pixel=4.0 * 4 * ch)

    def forward(self, x: torch.Tensor, scale: int) -> torch.Tensor:
        if scale not in self.scales:
            raise ValueError(f"this model supports scales {self.scales}, not {scale}")
        feat = self.body(self.stem(x - 0.5))
        return self.tails[str(scale)](feat, skip=bicubic_phases(x, scale))    # bicubic + detail, in fp32
