"""Super-resolution to any scale from 1 to 4, or to an exact size (the task around :class:`SRAnyNet`).

Tiling works in the input: each tile's features are computed with a context margin that covers the body's
receptive field, and the tile renders exactly the output pixels whose nearest input cell lies in its core,
so the result equals untiled inference. The bicubic base is computed once for the whole image.
"""
from __future__ import annotations

import math
from typing import Callable, Optional, Union

import torch
import torch.nn.functional as F

from restore.io import Image
from restore.resize import imresize
from restore.tasks.base import TaskModel
from restore.tasks.sr import SR_LIMITS
from restore.tasks.spec import TaskSpec, register_task
from restore.archs.sranynet import MAX_SCALE, SRAnyNet
from restore.tiling import reflect_index, tile_starts

__all__ = ["SRAnyModel", "output_size", "SPEC"]


def output_size(h: int, w: int, scale: Union[float, tuple[float, float], None] = None,
                size: Optional[tuple[int, int]] = None) -> tuple[int, int]:
    """(H, W) for a scale (one number, or (vertical, horizontal)) or an explicit (H, W); MATLAB's rounding
    (ceil) for scales. Errors name the allowed range."""
    if (scale is None) == (size is None):
        raise ValueError("give a scale or an output size, not both")
    if size is not None:
        H, W = (int(v) for v in size)
    else:
        sy, sx = (scale, scale) if isinstance(scale, (int, float)) else scale
        for s in (sy, sx):
            if not 1 <= float(s) <= MAX_SCALE:
                raise ValueError(f"scale must be between 1 and {MAX_SCALE:g}, not {s:g}")
        H, W = math.ceil(h * float(sy) - 1e-9), math.ceil(w * float(sx) - 1e-9)
    if not (h <= H <= math.ceil(MAX_SCALE * h) and w <= W <= math.ceil(MAX_SCALE * w)):
        raise ValueError(f"output {W}×{H} needs a scale between 1 and {MAX_SCALE:g} for a {w}×{h} image "
                         f"(from {w}×{h} to {math.ceil(MAX_SCALE * w)}×{math.ceil(MAX_SCALE * h)})")
    return H, W


class SRAnyModel(TaskModel):
    """Upscales colour with the network and the alpha plane with MATLAB bicubic, to any size ×1-×4."""

    def __init__(self, net: SRAnyNet, precision: str = "auto", entry=None):
        super().__init__(net, precision, entry)

    def compile(self) -> None:
        """Compile the two per-tile stages that tiled inference calls (features and render), not ``forward``."""
        self.net.features = torch.compile(self.net.features)
        self.net.render = torch.compile(self.net.render)

    def upscale_tensor(self, x: torch.Tensor, size: tuple[int, int], tile: Union[int, str, None] = "auto",
                       progress: Optional[Callable[[int, int], None]] = None) -> torch.Tensor:
        """C×h×w in [0, 1] (C = 1 or 3) → C×H×W, tiled in the input."""
        rgb = self.rgb_in(x)
        _, h, w = rgb.shape
        (iy, ty), (ix, tx), cell = self.net.grids(h, w, size)
        out = F.interpolate(rgb[None].float(), size=tuple(size), mode="bicubic", align_corners=False)[0]
        tiler = self.tiler(tile)
        t, r = tiler.tile, tiler.overlap
        ys, xs = tile_starts(h, t, t, self.multiple) + [h], tile_starts(w, t, t, self.multiple) + [w]
        total, done = (len(ys) - 1) * (len(xs) - 1), 0
        for y0, y1 in zip(ys, ys[1:]):                       # cores partition the input (the last may be short)
            rows = torch.nonzero((iy >= y0) & (iy < y1)).flatten()
            for x0, x1 in zip(xs, xs[1:]):
                cols = torch.nonzero((ix >= x0) & (ix < x1)).flatten()
                if len(rows) and len(cols):
                    cy0, cx0 = y0 - r, x0 - r
                    patch = rgb[:, reflect_index(cy0, y1 + r, h)][:, :, reflect_index(cx0, x1 + r, w)]
                    gy = (iy[rows] - cy0, ty[rows])
                    gx = (ix[cols] - cx0, tx[cols])
                    res = self._run(patch[None], lambda p: self.net.render(self.net.features(p), gy, gx, cell))
                    r0, c0 = int(rows[0]), int(cols[0])
                    out[:, r0:r0 + len(rows), c0:c0 + len(cols)] += res[0]
                done += 1
                if progress:
                    progress(done, total)
        return self.rgb_out(out.clamp_(0, 1), x.shape[0])

    def __call__(self, img: Image, scale: Union[float, tuple[float, float], None] = None,
                 size: Optional[tuple[int, int]] = None, tile: Union[int, str, None] = "auto",
                 progress: Optional[Callable[[int, int], None]] = None) -> Image:
        """Upscale by ``scale`` (one number or (vertical, horizontal)) or to ``size`` = (H, W)."""
        if img.channels not in (1, 3):
            raise ValueError(f"expected 1 or 3 colour channels, got {img.channels}")
        H, W = output_size(img.height, img.width, scale, size)
        pixels = self.upscale_tensor(img.pixels, (H, W), tile, progress)
        alpha = None if img.alpha is None else imresize(img.alpha, size=(H, W)).clamp_(0, 1)
        return img.with_pixels(pixels, alpha)


SPEC = register_task(TaskSpec(name="sr-any", model=SRAnyModel, default="sr-any",
                              what="arbitrary-scale super-resolution", train="train sr-any",
                              recipe="restore.recipes.sr_any:SRAnyRecipe", trainer="restore.recipes.sr_any:train_sr_any",
                              limits="Any scale from 1 to 4 (non-integer and different horizontal and vertical scales "
                                     "too), or an exact output size. " + SR_LIMITS))
