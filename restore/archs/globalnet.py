"""Image-to-image restoration with a global branch, for degradations that span the whole photo.

Haze, rain veils and reflections depend on the whole image (the airlight, the reflected scene), so a tile
alone cannot tell what to remove. A small encoder sees a downscaled copy of the *whole* image once and
produces a coarse context map; every tile then samples that map at its own position (``origin`` in the full
image) and feeds it, with the tile's 2×2-packed pixels and an optional condition vector (which degradation
to remove; zeros = any), to a registered body that predicts a residual. Tiles of one photo therefore share
one context and agree at their seams, and a 4K or 8K photo runs in bounded memory.
"""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from restore.layers.conv import conv3x3
from restore.registry import Descriptor, build_backbone, register_arch

__all__ = ["GlobalNet", "downscale_long_side", "sample_context"]


def downscale_long_side(x: torch.Tensor, size: int) -> torch.Tensor:
    """N×C×H×W → antialiased bilinear copy whose longer side is ``size`` (never upscaled)."""
    h, w = x.shape[-2:]
    f = size / max(h, w)
    if f >= 1:
        return x
    return F.interpolate(x, size=(max(1, round(h * f)), max(1, round(w * f))), mode="bilinear",
                         antialias=True, align_corners=False)


def sample_context(ctx: torch.Tensor, origin: tuple[int, int], full: tuple[int, int], h: int, w: int,
                   step: int = 2) -> torch.Tensor:
    """The N×G×(h/step)×(w/step) context at the centres of the ``step``×``step`` blocks of an h×w tile whose
    top-left pixel sits at ``origin`` in a ``full``-sized image (outside it, mirrored)."""
    ys = (origin[0] + step * torch.arange(h // step, dtype=ctx.dtype) + step / 2) / full[0] * 2 - 1
    xs = (origin[1] + step * torch.arange(w // step, dtype=ctx.dtype) + step / 2) / full[1] * 2 - 1
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    grid = torch.stack([gx, gy], -1)[None].expand(ctx.shape[0], -1, -1, -1)
    return F.grid_sample(ctx, grid, mode="bilinear", padding_mode="reflection", align_corners=False)


@register_arch("globalnet")
class GlobalNet(nn.Module):
    """Residual restoration net with a whole-image context branch; see the module docstring."""

    def __init__(self, body: str = "res", body_kwargs: dict | None = None, conditions: int = 0,
                 global_channels: int = 16, global_size: int = 96):
        super().__init__()
        body_kwargs = dict(body_kwargs or {})
        self.conditions, self.global_size = conditions, global_size
        g = global_channels
        self.encoder = nn.Sequential(
            nn.Conv2d(3 + conditions, 32, 3, stride=2, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(32, 32, 3, stride=2, padding=1), nn.ReLU(inplace=True),
            conv3x3(32, 32), nn.ReLU(inplace=True), conv3x3(32, g))
        self.pool_mix = nn.Linear(g, g)          # image-wide statistics (airlight, tint) added to every position
        self.body = build_backbone(body, **body_kwargs)
        ch = self.body.channels
        self.stem = conv3x3(4 * 3 + g + conditions, ch)
        self.tail = conv3x3(ch, 4 * 3)
        nn.init.zeros_(self.tail.weight)         # an untrained network returns its input
        nn.init.zeros_(self.tail.bias)
        # radius: half-resolution stem + body + tail, doubled by the unshuffle (the global branch is computed
        # once for the whole image, so tiles agree on it)
        self.descriptor = Descriptor(radius=2 * (1 + self.body.receptive_radius + 1), multiple=2 * self.body.multiple,
                                     scales=(1,), in_channels=3, bf16_safe=True,
                                     bytes_per_pixel=4.0 * 2 * ch / 4 + 64)

    def _cond(self, cond: Optional[torch.Tensor], n: int, like: torch.Tensor) -> torch.Tensor:
        if cond is None:
            return like.new_zeros(n, self.conditions)
        return cond.to(like.dtype).reshape(-1, self.conditions).expand(n, -1)

    def global_context(self, x: torch.Tensor, cond: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Context map (N×G×h×w, a quarter of the downscaled size) from the whole image N×3×H×W."""
        small = downscale_long_side(x, self.global_size) - 0.5
        n, _, h, w = small.shape
        c = self._cond(cond, n, small)
        f = self.encoder(torch.cat([small, c.view(n, -1, 1, 1).expand(n, -1, h, w)], 1))
        return f + self.pool_mix(f.mean((-2, -1))).view(n, -1, 1, 1)

    def forward(self, x: torch.Tensor, ctx: Optional[torch.Tensor] = None, origin: tuple[int, int] = (0, 0),
                full: Optional[tuple[int, int]] = None, cond: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Restored N×3×H×W for a tile ``x`` (even H, W) at ``origin`` of a ``full``-sized image whose
        context is ``ctx``; without ``ctx`` the tile is the whole image."""
        n, _, h, w = x.shape
        if ctx is None:
            ctx, origin, full = self.global_context(x, cond), (0, 0), (h, w)
        g = sample_context(ctx, origin, full or (h, w), h, w)
        c = self._cond(cond, n, x).view(n, -1, 1, 1).expand(n, -1, h // 2, w // 2)
        inp = torch.cat([F.pixel_unshuffle(x - 0.5, 2), g.to(x.dtype), c], 1)
        return x + F.pixel_shuffle(self.tail(self.body(self.stem(inp))), 2)
