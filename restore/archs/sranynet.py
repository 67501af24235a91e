"""Arbitrary-scale super-resolution network: a shared body plus a local implicit image function (LIIF-style).

The body turns the low-resolution image into a feature map. Every output pixel is then predicted from the
feature cells around its position in the input, by a small MLP that also sees the pixel's offset from each
cell and the output pixel's size (the scale-aware position encoding), so one network serves any scale
between 1 and 4, including non-integer and different horizontal and vertical scales. The four nearest cells
each give a prediction, blended with bilinear weights (LIIF's local ensemble); the result is a residual over
bicubic.

The MLP's first layer is split: its feature part is a 1×1 conv over the input grid (computed once per input
pixel, not per output pixel), and the output grid is separable (rows × columns), so gathering features for
the output is two gathers and the position code is a row part plus a column part. That keeps the
per-output-pixel work to two small matmuls.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from restore.layers.conv import conv3x3
from restore.registry import Descriptor, build_backbone, register_arch

__all__ = ["SRAnyNet", "sample_grid", "linear_relu", "MAX_SCALE"]

MAX_SCALE = 4.0


def linear_relu(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """``relu(F.linear(x, weight, bias))``; on the CPU in bf16 as oneDNN's fused kernel, which saves two
    passes over the (memory-bound) output. Falls back to the plain ops where that kernel is missing."""
    if (x.dtype == torch.bfloat16 and x.device.type == "cpu" and not torch.is_grad_enabled()
            and not torch.compiler.is_compiling()):              # inductor fuses the plain ops itself
        fused = getattr(torch.ops.mkldnn, "_linear_pointwise", None)
        if fused is not None:
            try:
                return fused(x, weight.to(x.dtype), bias.to(x.dtype), "relu", [], "")
            except RuntimeError:
                pass
    return torch.relu_(F.linear(x, weight, bias))


def sample_grid(n_in: int, n_out: int) -> tuple[torch.Tensor, torch.Tensor]:
    """For ``n_out`` output pixels spread over ``n_in`` input pixels (centres aligned as in imresize):
    (index of the input cell at or before each output centre, clamped to [0, n_in - 2] or 0; the offset of the
    centre from that cell, in input pixels, in [0, 1) inside the image)."""
    u = (torch.arange(n_out, dtype=torch.float64) + 0.5) * (n_in / n_out) - 0.5
    i0 = u.floor().clamp(0, max(0, n_in - 2))
    return i0.long(), (u - i0).float()


class SRAnyNet(nn.Module):
    """See the module docstring. ``forward(x, size)`` upscales N×3×h×w in [0, 1] to ``size`` = (H, W)."""

    def __init__(self, body: str = "res", body_kwargs: dict | None = None, hidden: int = 64,
                 in_channels: int = 3):
        super().__init__()
        body_kwargs = dict(body_kwargs or {})
        self.body = build_backbone(body, **body_kwargs)
        ch = self.body.channels
        self.stem = conv3x3(in_channels, ch)
        self.feat = nn.Conv2d(ch, hidden, 1)                 # the MLP's first layer, feature part
        self.pos = nn.Linear(4, hidden, bias=False)          # … and its (dy, dx, cell h, cell w) part
        self.mlp = nn.Sequential(nn.ReLU(), nn.Conv2d(hidden, hidden, 1), nn.ReLU(),
                                 nn.Conv2d(hidden, in_channels, 1))
        nn.init.zeros_(self.mlp[-1].weight)                  # untrained: plain bicubic
        nn.init.zeros_(self.mlp[-1].bias)
        # radius: stem (1) + body + the second neighbour cell (1); bicubic reaches 2 input pixels. Memory: the
        # body, and the MLP's per-output-pixel activations at the largest scale
        self.descriptor = Descriptor(radius=1 + self.body.receptive_radius + 2, multiple=self.body.multiple,
                                     scales=(1, MAX_SCALE), in_channels=in_channels, bf16_safe=True,
                                     bytes_per_pixel=4.0 * 2 * ch + 4.0 * 8 * hidden * MAX_SCALE ** 2 / 4)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """N×hidden×h×w: the per-input-pixel part of the implicit function (reusable across output sizes)."""
        return self.feat(self.body(self.stem(x - 0.5)))

    def render(self, feats: torch.Tensor, grid_y: tuple[torch.Tensor, torch.Tensor],
               grid_x: tuple[torch.Tensor, torch.Tensor], cell: tuple[float, float]) -> torch.Tensor:
        """The residual over bicubic at the output pixels ``grid_y`` × ``grid_x`` (each: the index of the
        feature cell at or before every output centre, and the centre's offset from it, as :func:`sample_grid`
        gives; the cell after it must exist too) for output pixels of ``cell`` = (h/H, w/W) input pixels."""
        (iy, ty), (ix, tx) = grid_y, grid_x
        p = self.pos.weight                                                            # hidden×4
        base = p[:, 2] * cell[0] + p[:, 3] * cell[1]                                  # hidden
        cy, cx = ty.clamp(0, 1), tx.clamp(0, 1)                # beyond the outer cell centres: nearest cell
        # Work on N×H×W×C tensors (channel vectors contiguous): gathering whole channel vectors by advanced
        # indexing is fast where index_select on an inner axis is not, the position code is separable
        # (a row part added to the few gathered rows, a column part broadcast along the last axes), and the
        # 1×1 convs become plain matmuls over the last axis. The render is memory-bound, so the full-size
        # tensors are updated in place.
        cells = feats.permute(0, 2, 3, 1).contiguous()                                # N×h×w×C
        conv1, conv2 = self.mlp[1], self.mlp[3]
        w1, w2 = conv1.weight.flatten(1), conv2.weight.flatten(1)
        out = 0
        for dy in (0, 1):
            code_y = (ty - dy)[:, None] * p[:, 0] + base                              # H×C
            rows = cells[:, iy + dy] + code_y[None, :, None].to(cells.dtype)         # N×H×w×C
            wy = (1 - cy) if dy == 0 else cy                                           # bilinear weight
            for dx in (0, 1):
                code_x = ((tx - dx)[:, None] * p[:, 1]).to(rows.dtype)                # W×C
                h = torch.relu_(rows[:, :, ix + dx].add_(code_x))                      # N×H×W×C
                h = linear_relu(h, w1, conv1.bias)
                pred = F.linear(h, w2, conv2.bias)                                     # N×H×W×3
                wx = (1 - cx) if dx == 0 else cx
                out = out + pred * (wy[:, None] * wx[None, :])[..., None].to(pred.dtype)
        return out.permute(0, 3, 1, 2).contiguous()

    def grids(self, h: int, w: int, size: tuple[int, int]) -> tuple[tuple, tuple, tuple[float, float]]:
        """(grid_y, grid_x, cell) of an h×w input rendered at ``size``, checking the scale range."""
        H, W = size
        if not (h <= H <= math.ceil(MAX_SCALE * h) and w <= W <= math.ceil(MAX_SCALE * w)):
            raise ValueError(f"output {W}×{H} is outside the ×1-×{MAX_SCALE:g} range of a {w}×{h} input")
        return sample_grid(h, H), sample_grid(w, W), (h / H, w / W)

    def forward(self, x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        """N×3×h×w in [0, 1] → N×3×H×W (untiled; training and small images)."""
        gy, gx, cell = self.grids(*x.shape[-2:], size)
        base = F.interpolate(x, size=tuple(size), mode="bicubic", align_corners=False)
        return base + self.render(self.features(x), gy, gx, cell).to(base.dtype)


register_arch("sranynet")(SRAnyNet)
