"""The denoising network: FFDNet-style, with a noise-level map input and its own noise-level estimator.

The image and a per-pixel noise-level map (σ/255) go in at half resolution (2×2 pixel unshuffle, which
quadruples the receptive field per layer for the same cost); a registered body predicts the noise, which is
subtracted from the input. Without a given σ a small local estimator predicts the map from the image
(blind mode), so one model serves σ 0-75 given or not, and spatially varying (camera) noise.
"""
from __future__ import annotations

from typing import Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from restore.layers.conv import conv3x3
from restore.registry import Descriptor, build_backbone, register_arch

__all__ = ["DenoiseNet", "NoiseEstimator", "sigma_map"]


def sigma_map(sigma: Union[float, torch.Tensor], like: torch.Tensor) -> torch.Tensor:
    """N×1×H×W noise-level map (σ in 0-255 units → σ/255) from a number, a per-image vector or a map."""
    n, _, h, w = like.shape
    s = torch.as_tensor(sigma, dtype=like.dtype, device=like.device) / 255.0
    if s.dim() == 0:
        return s.expand(n, 1, h, w)
    if s.dim() == 1:
        return s.view(-1, 1, 1, 1).expand(n, 1, h, w)
    return s.reshape(n, 1, h, w)


class NoiseEstimator(nn.Module):
    """Local per-pixel noise-level estimate (σ/255) from the noisy image; radius ``receptive_radius``."""

    def __init__(self, in_channels: int = 3, channels: int = 32):
        super().__init__()
        self.net = nn.Sequential(
            conv3x3(in_channels, channels), nn.ReLU(inplace=True),
            nn.Conv2d(channels, channels, 3, stride=2, padding=1), nn.ReLU(inplace=True),
            conv3x3(channels, channels), nn.ReLU(inplace=True),
            conv3x3(channels, channels), nn.ReLU(inplace=True),
            nn.Conv2d(channels, 1, 1))
        self.receptive_radius = 1 + 2 * (1 + 1 + 1) + 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = F.softplus(self.net(x - 0.5))
        return F.interpolate(s, size=x.shape[-2:], mode="nearest")


@register_arch("denoisenet")
class DenoiseNet(nn.Module):
    """Colour (or gray) denoiser with an optional noise-level map; see the module docstring."""

    def __init__(self, body: str = "res", body_kwargs: dict | None = None, in_channels: int = 3,
                 estimator_channels: int = 32):
        super().__init__()
        body_kwargs = dict(body_kwargs or {})
        self.body = build_backbone(body, **body_kwargs)
        ch = self.body.channels
        self.in_channels = in_channels
        self.stem = conv3x3(4 * (in_channels + 1), ch)
        self.tail = conv3x3(ch, 4 * in_channels)
        nn.init.zeros_(self.tail.weight)          # an untrained network returns its input
        nn.init.zeros_(self.tail.bias)
        self.estimator = NoiseEstimator(in_channels, estimator_channels)
        # radius in half-resolution pixels: stem (1) + body + tail (1), doubled by the unshuffle, plus the
        # estimator; the body sees 2×2 blocks
        self.descriptor = Descriptor(
            radius=2 * (1 + self.body.receptive_radius + 1) + 2 + self.estimator.receptive_radius,
            multiple=2 * self.body.multiple, scales=(1,), in_channels=in_channels, bf16_safe=True,
            bytes_per_pixel=4.0 * 2 * ch / 4 + 4.0 * 2 * estimator_channels)

    def forward(self, x: torch.Tensor, sigma: Optional[Union[float, torch.Tensor]] = None) -> tuple:
        """(denoised N×C×H×W, the σ/255 map used) for ``x`` in [0, 1] with even H and W.

        ``sigma``: None (blind: estimated), a number or per-image vector in 0-255 units, or an N×1×H×W map.
        """
        level = self.estimator(x) if sigma is None else sigma_map(sigma, x)
        inp = F.pixel_unshuffle(torch.cat([x - 0.5, level], 1), 2)
        noise = F.pixel_shuffle(self.tail(self.body(self.stem(inp))), 2)
        return x - noise, level
