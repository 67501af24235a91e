"""The demosaicing network: Bayer mosaic (with optional missing pixels and noise) → RGB.

Any of the four Bayer layouts is brought to RGGB by mirroring one row and/or column at the borders (a mirror
keeps the 2×2 period), so one network serves them all. A normalised-convolution bilinear demosaic, which also
skips missing pixels, gives the base image; the network packs the mosaic, the validity mask, a noise-level map
and that base into 2×2 blocks, and a registered body predicts the correction. Without a given noise level a
small estimator predicts it (0 on clean mosaics), so the same model demosaics clean and noisy RAW data.
"""
from __future__ import annotations

from typing import Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from restore.degrade import bayer_masks, check_pattern
from restore.layers.conv import conv3x3
from restore.registry import Descriptor, build_backbone, register_arch
from restore.archs.denoisenet import NoiseEstimator, sigma_map

__all__ = ["DemosaicNet", "bilinear_demosaic", "pattern_offset", "to_rggb", "from_rggb"]

_K_RB = torch.tensor([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]])
_K_G = torch.tensor([[0.0, 1.0, 0.0], [1.0, 4.0, 1.0], [0.0, 1.0, 0.0]])


def pattern_offset(pattern: str) -> tuple[int, int]:
    """(dy, dx): the row/column shift that turns ``pattern`` into RGGB (R at the top-left)."""
    k = check_pattern(pattern).index("R")
    return k // 2, k % 2


def to_rggb(x: torch.Tensor, pattern: str) -> torch.Tensor:
    """Mirror-pad one row (top and bottom) and/or column (left and right) so an N×C×H×W mosaic reads RGGB."""
    dy, dx = pattern_offset(pattern)
    if dy or dx:
        x = F.pad(x, (dx, dx, dy, dy), mode="reflect")
    return x


def from_rggb(y: torch.Tensor, pattern: str) -> torch.Tensor:
    """Undo :func:`to_rggb` on an output: drop the padded rows and columns."""
    dy, dx = pattern_offset(pattern)
    h, w = y.shape[-2:]
    return y[..., dy:h - dy, dx:w - dx]


def bilinear_demosaic(mosaic: torch.Tensor, valid: Optional[torch.Tensor] = None) -> torch.Tensor:
    """N×1×H×W RGGB mosaic (and N×1×H×W validity, 1 = measured) → N×3×H×W by normalised convolution.

    Each colour is the weighted mean of the measured sites of that colour in the 3×3 neighbourhood
    (the classic bilinear kernels); where a colour has no measured site in 3×3, the 5×5 mean (else 0).
    """
    n, _, h, w = mosaic.shape
    m = bayer_masks("RGGB", h, w).to(mosaic.device, mosaic.dtype)[None]
    if valid is not None:
        m = m * valid
    m = m.expand(n, -1, -1, -1)
    k = torch.stack([_K_RB, _K_G, _K_RB])[:, None].to(mosaic.device, mosaic.dtype)
    num = F.conv2d(F.pad(mosaic * m, (1, 1, 1, 1), mode="reflect"), k, groups=3)
    den = F.conv2d(F.pad(m, (1, 1, 1, 1), mode="reflect"), k, groups=3)
    if valid is None:
        return num / den
    # where a missing site has no measured neighbour of a colour in 3×3, fall back to the 5×5 mean
    box = torch.ones(3, 1, 5, 5, device=mosaic.device, dtype=mosaic.dtype)
    num5 = F.conv2d(F.pad(mosaic * m, (2, 2, 2, 2), mode="reflect"), box, groups=3)
    den5 = F.conv2d(F.pad(m, (2, 2, 2, 2), mode="reflect"), box, groups=3)
    return torch.where(den > 0, num / den.clamp_min(1e-6), num5 / den5.clamp_min(1e-6))


@register_arch("demosaicnet")
class DemosaicNet(nn.Module):
    """Bayer (RGGB) → RGB with optional validity mask and noise level; see the module docstring."""

    def __init__(self, body: str = "res", body_kwargs: dict | None = None, estimator_channels: int = 16):
        super().__init__()
        body_kwargs = dict(body_kwargs or {})
        self.body = build_backbone(body, **body_kwargs)
        ch = self.body.channels
        self.stem = conv3x3(4 * (1 + 1 + 1 + 3), ch)       # mosaic, validity, level, bilinear base
        self.tail = conv3x3(ch, 4 * 3)
        nn.init.zeros_(self.tail.weight)                    # an untrained network returns the bilinear base
        nn.init.zeros_(self.tail.bias)
        self.estimator = NoiseEstimator(1, estimator_channels)
        # radius: half-resolution stem + body + tail doubled by the unshuffle, the bilinear base, the estimator;
        # +1 for the pattern-mirroring row
        self.descriptor = Descriptor(
            radius=2 * (1 + self.body.receptive_radius + 1) + 2 + self.estimator.receptive_radius + 1,
            multiple=2 * self.body.multiple, scales=(1,), in_channels=1, bf16_safe=True,
            bytes_per_pixel=4.0 * 2 * ch / 4 + 4.0 * 2 * estimator_channels + 64)

    def forward(self, mosaic: torch.Tensor, valid: Optional[torch.Tensor] = None,
                sigma: Optional[Union[float, torch.Tensor]] = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(RGB N×3×H×W, the σ/255 map used) for an RGGB mosaic N×1×H×W in [0, 1] with even H and W.

        ``valid``: N×1×H×W, 1 where the site was measured (None: all). ``sigma``: None (estimated), a number
        or per-image vector in 0-255 units, or an N×1×H×W map.
        """
        if valid is None:
            valid = torch.ones_like(mosaic)
        mosaic = mosaic * valid
        level = self.estimator(mosaic) if sigma is None else sigma_map(sigma, mosaic)
        with torch.autocast("cpu", enabled=False):        # the base stays exact under bf16 autocast
            base = bilinear_demosaic(mosaic.float(), valid.float())
        inp = F.pixel_unshuffle(torch.cat([mosaic - 0.5, valid, level, base - 0.5], 1), 2)
        return base + F.pixel_shuffle(self.tail(self.body(self.stem(inp))), 2), level
