"""MATLAB-compatible ``imresize`` (bicubic, antialiased when shrinking) as pure torch functions.

The weights follow MATLAB's ``contributions``: cubic kernel with a = -0.5, kernel widened by
``1/scale`` when downscaling (antialiasing), symmetric padding at the borders. Each axis becomes a
dense (out × in) matrix, so a resize is two matrix products and is exactly linear.
"""
from __future__ import annotations

import math
from functools import lru_cache

import torch

__all__ = ["cubic", "resize_matrix", "imresize"]


def cubic(x: torch.Tensor, a: float = -0.5) -> torch.Tensor:
    """Keys cubic kernel; a = -0.5 is MATLAB's ``cubic`` (PyTorch's bicubic uses a = -0.75)."""
    ax = x.abs()
    ax2, ax3 = ax * ax, ax * ax * ax
    near = ((a + 2) * ax3 - (a + 3) * ax2 + 1) * (ax <= 1)
    far = (a * ax3 - 5 * a * ax2 + 8 * a * ax - 4 * a) * ((ax > 1) & (ax <= 2))
    return near + far


def _symmetric_index(idx: torch.Tensor, n: int) -> torch.Tensor:
    """Map any integer index into [0, n) by mirror padding with edge repeat (MATLAB 'symmetric')."""
    period = 2 * n
    idx = torch.remainder(idx, period)
    return torch.where(idx < n, idx, period - 1 - idx)


@lru_cache(maxsize=64)
def resize_matrix(n_in: int, n_out: int, scale: float, antialias: bool = True) -> torch.Tensor:
    """Dense float64 (n_out × n_in) matrix of MATLAB's bicubic ``imresize`` along one axis."""
    kernel_width = 4.0
    shrink = scale < 1 and antialias
    if shrink:
        kernel_width /= scale
    x = torch.arange(1, n_out + 1, dtype=torch.float64)
    u = x / scale + 0.5 * (1 - 1 / scale)
    left = torch.floor(u - kernel_width / 2)
    taps = int(math.ceil(kernel_width)) + 2
    ind = left[:, None] + torch.arange(taps, dtype=torch.float64)[None, :]
    dist = u[:, None] - ind
    w = scale * cubic(dist * scale) if shrink else cubic(dist)
    w = w / w.sum(dim=1, keepdim=True)
    cols = _symmetric_index(ind.long() - 1, n_in)
    mat = torch.zeros(n_out, n_in, dtype=torch.float64)
    mat.scatter_add_(1, cols, w)
    return mat


def imresize(img: torch.Tensor, scale: float | None = None, size: tuple[int, int] | None = None,
             antialias: bool = True) -> torch.Tensor:
    """Resize a (..., H, W) float tensor like MATLAB ``imresize(img, scale, 'bicubic')``.

    Give ``scale`` (output = ceil(input × scale), as MATLAB does) or an explicit ``size`` (H, W).
    The result is not rounded or clipped; callers that want uint8 semantics round themselves.
    """
    h, w = img.shape[-2:]
    if size is None:
        if scale is None:
            raise ValueError("imresize needs scale or size")
        size = (int(math.ceil(h * scale)), int(math.ceil(w * scale)))
        sh = sw = float(scale)
    else:
        sh, sw = size[0] / h, size[1] / w
    mh = resize_matrix(h, size[0], sh, antialias).to(img.dtype)
    mw = resize_matrix(w, size[1], sw, antialias).to(img.dtype)
    return torch.matmul(torch.matmul(mh, img), mw.T)
