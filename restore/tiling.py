"""Tiled inference in bounded memory, equal to untiled inference.

Each tile is a *core* (the pixels it is responsible for) plus a *context* margin of ``overlap``
input pixels on every side. Beyond the image border the context is its mirror image (``pad="reflect"``,
the default) or absent (``pad="none"``: the model's own zero padding acts there exactly as on the whole
image, so tiled output equals a plain ``model(image)``). With reflect padding the whole image is
treated the same way, so tiled output equals one-tile output. Either way, when ``overlap`` covers the
model's receptive field, cores are exact. With ``blend > 0`` neighbouring cores also
overlap by ``blend`` pixels and are cross-faded with a raised-cosine window, which hides seams for
models whose receptive field is larger than the context (transformers, global branches).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Optional

import torch

__all__ = ["Tiler", "auto_tile", "tile_starts", "blend_ramp", "reflect_index"]


def reflect_index(start: int, stop: int, n: int) -> torch.Tensor:
    """Indices ``start..stop-1`` folded into ``[0, n)`` by mirroring without repeating the edge pixel."""
    idx = torch.arange(start, stop)
    if n == 1:
        return torch.zeros_like(idx)
    period = 2 * n - 2
    idx = torch.remainder(idx, period)
    return torch.where(idx < n, idx, period - idx)


def tile_starts(length: int, tile: int, step: int, multiple: int = 1) -> list[int]:
    """Start offsets of cores of size ``tile`` every ``step`` pixels, the last one flush with the end.

    With ``multiple`` > 1 every start is a multiple of it (the last core then runs to the end and may be up
    to ``multiple - 1`` pixels longer), so models that work on a 2×2 grid see the same grid in every tile.
    """
    if length <= tile:
        return [0]
    starts = list(range(0, length - tile, step))
    last = (length - tile) // multiple * multiple
    if last > starts[-1]:
        starts.append(last)
    return starts


def blend_ramp(n: int, width: int, ramp_start: bool, ramp_end: bool) -> torch.Tensor:
    """1-D weight: raised-cosine ramps of ``width`` at the chosen ends, 1 elsewhere (never 0)."""
    w = torch.ones(n)
    if width > 0:
        r = 0.5 - 0.5 * torch.cos(math.pi * (torch.arange(width) + 0.5) / width)
        if ramp_start:
            w[:width] = torch.minimum(w[:width], r)
        if ramp_end:
            w[n - width:] = torch.minimum(w[n - width:], r.flip(0))
    return w


def auto_tile(budget_bytes: float, bytes_per_pixel: float, overlap: int, multiple: int = 1,
              lo: int = 64, hi: int = 2048) -> int:
    """Largest core tile whose padded area fits ``budget_bytes`` at ``bytes_per_pixel`` of activations."""
    side = int(math.sqrt(max(budget_bytes, 1) / max(bytes_per_pixel, 1e-9))) - 2 * overlap
    side = max(lo, min(hi, side))
    return max(multiple, side - side % multiple)


@dataclass
class Tiler:
    """Run ``fn`` (1×C×h×w → 1×C'×(s·h)×(s·w)) over an image tile by tile."""

    tile: int = 512          # core size in input pixels
    overlap: int = 16        # context margin in input pixels (≥ receptive radius for exact output)
    scale: int = 1
    blend: int = 0           # cross-fade width between neighbouring cores, input pixels
    multiple: int = 1        # the model wants h and w divisible by this
    pad: str = "reflect"     # context beyond the image border: "reflect" or "none"

    def run(self, fn: Callable[..., torch.Tensor], x: torch.Tensor,
            progress: Optional[Callable[[int, int], None]] = None, with_origin: bool = False) -> torch.Tensor:
        """Process a C×H×W tensor; returns C'×(sH)×(sW) float32.

        With ``with_origin`` ``fn`` is called as ``fn(patch, (y, x))``, where (y, x) is the position of the
        patch's top-left pixel in the image (negative in the mirrored margin), for models with a global branch.
        """
        if x.dim() != 3:
            raise ValueError("Tiler.run expects a C×H×W tensor")
        if self.pad not in ("reflect", "none"):
            raise ValueError(f"pad must be 'reflect' or 'none', not {self.pad!r}")
        _, h, w = x.shape
        s, blend = self.scale, min(self.blend, self.tile // 2)
        tile = max(self.tile, 2 * blend + 1)
        m = self.multiple
        if m > 1 and (tile % m or blend % m or self.overlap % m):
            raise ValueError(f"tile, blend and overlap must be multiples of {m}")
        ys = tile_starts(h, tile, tile - blend, m)
        xs = tile_starts(w, tile, tile - blend, m)
        out: Optional[torch.Tensor] = None
        wsum = torch.zeros(1, h * s, w * s) if blend else None
        total, done = len(ys) * len(xs), 0
        for y0 in ys:
            y1 = h if y0 == ys[-1] else min(y0 + tile, h)
            for x0 in xs:
                x1 = w if x0 == xs[-1] else min(x0 + tile, w)
                cy0, cy1, cx0, cx1 = y0 - self.overlap, y1 + self.overlap, x0 - self.overlap, x1 + self.overlap
                if self.pad == "reflect":
                    patch = x[:, reflect_index(cy0, cy1, h)][:, :, reflect_index(cx0, cx1, w)]
                else:
                    cy0, cx0, cy1, cx1 = max(0, cy0), max(0, cx0), min(h, cy1), min(w, cx1)
                    patch = x[:, cy0:cy1, cx0:cx1]
                ph, pw = patch.shape[-2:]
                pad_h, pad_w = (-ph) % self.multiple, (-pw) % self.multiple
                if pad_h or pad_w:
                    patch = torch.nn.functional.pad(patch[None], (0, pad_w, 0, pad_h), mode="replicate")[0]
                res = (fn(patch[None], (cy0, cx0)) if with_origin else fn(patch[None]))[0].float()
                core = res[:, (y0 - cy0) * s:(y1 - cy0) * s, (x0 - cx0) * s:(x1 - cx0) * s]
                if total == 1:                      # one tile: its core is the image, no canvas to fill
                    if progress:
                        progress(1, 1)
                    return core.contiguous()
                if out is None:
                    out = torch.zeros(core.shape[0], h * s, w * s)
                dst = (slice(None), slice(y0 * s, y1 * s), slice(x0 * s, x1 * s))
                if blend:
                    wy = blend_ramp((y1 - y0) * s, blend * s, y0 > 0, y1 < h)
                    wx = blend_ramp((x1 - x0) * s, blend * s, x0 > 0, x1 < w)
                    wt = wy[:, None] * wx[None, :]
                    out[dst] += core * wt
                    wsum[dst] += wt
                else:
                    out[dst] = core
                done += 1
                if progress:
                    progress(done, total)
        assert out is not None
        if blend:
            out /= wsum
        return out
