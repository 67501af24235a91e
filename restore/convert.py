"""Conversions at the API edge: path / numpy / PIL / tensor ⇄ :class:`restore.io.Image`."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from restore.io import Image, read_image

__all__ = ["to_image", "from_image"]


def to_image(x: Any) -> tuple[Image, dict]:
    """Wrap any supported input as an Image; the returned ``how`` dict tells :func:`from_image` what to give back."""
    if isinstance(x, Image):
        return x, {"kind": "image"}
    if isinstance(x, (str, Path)):
        return read_image(x), {"kind": "image"}
    if isinstance(x, np.ndarray):
        return Image.from_array(x), {"kind": "numpy", "dtype": x.dtype, "ndim": x.ndim}
    if isinstance(x, torch.Tensor):
        t = x.detach().cpu().float()
        if t.dim() not in (2, 3):
            raise ValueError(f"expected a C×H×W or H×W tensor, got shape {tuple(x.shape)}")
        t = t[None] if t.dim() == 2 else t
        if t.shape[0] not in (1, 2, 3, 4):
            raise ValueError(f"expected 1-4 channels first (C×H×W), got shape {tuple(x.shape)}")
        has_alpha = t.shape[0] in (2, 4)
        img = Image(t[:-1] if has_alpha else t, t[-1:] if has_alpha else None, 8)
        return img, {"kind": "tensor", "dtype": x.dtype, "ndim": x.dim()}
    try:
        from PIL import Image as PILImage
    except ImportError:  # pragma: no cover - pillow is a dependency
        PILImage = None
    if PILImage is not None and isinstance(x, PILImage.Image):
        from restore.io import pil_to_array

        img = Image.from_array(pil_to_array(x))
        img.icc = x.info.get("icc_profile")
        return img, {"kind": "pil", "mode": x.mode}
    raise TypeError(f"unsupported image type {type(x).__name__}; pass a path, numpy array, PIL image or tensor")


def from_image(img: Image, how: dict) -> Any:
    """Return ``img`` as the kind of object the caller passed in."""
    kind = how["kind"]
    if kind == "image":
        return img
    if kind == "numpy":
        dtype = how["dtype"]
        if np.issubdtype(dtype, np.floating):
            planes = img.pixels if img.alpha is None else torch.cat([img.pixels, img.alpha])
            arr = planes.permute(1, 2, 0).numpy().astype(dtype)
        else:
            arr = img.to_array()
        return arr[:, :, 0] if how["ndim"] == 2 and arr.shape[2] == 1 else arr
    if kind == "tensor":
        planes = img.pixels if img.alpha is None else torch.cat([img.pixels, img.alpha])
        planes = planes.to(how["dtype"]) if how["dtype"].is_floating_point else planes
        return planes[0] if how["ndim"] == 2 and planes.shape[0] == 1 else planes
    if kind == "pil":
        from PIL import Image as PILImage

        arr = img.to_array()
        if arr.dtype == np.uint16:
            arr = (arr / 257).round().astype(np.uint8)
        out = PILImage.fromarray(arr[:, :, 0] if arr.shape[2] == 1 else arr)
        if img.icc:
            out.info["icc_profile"] = img.icc
        return out
    raise ValueError(f"unknown result kind {kind!r}")
