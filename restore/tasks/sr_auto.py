"""Which SR route suits an image: the clean model restores what bicubic downscaling removed and sharpens
everything else, JPEG blocks included. A JPEG file (its tables say so) or pixels with 8×8 blocking go through the
JPEG-artefact remover first, then the clean model; the rest straight to the clean model.

The blockiness threshold was read off held-out *training* images (``python -m benchmarks.sr_real --calibrate``):
over clean bicubic LR images the ratio's 90th percentile is 1.06 (max 1.22); saved as JPEG q50 its 10th percentile
is 1.19, at q70 1.07. A noise measure was tried as a third route and dropped: at ×4 the LR of textured images
(Set14's baboon, bridge, comic, zebra) reads as noisy, and the real-input SR model it sent them to lost to the
clean one there.
"""
from __future__ import annotations

from typing import Callable, Optional, Union

import torch

from restore.io import Image
from restore.metrics import block_edges, rgb_to_y

__all__ = ["BLOCKINESS", "JPEG_CLEAN", "PROBE", "blockiness", "probe", "condition", "AutoSR"]

BLOCKINESS = 1.15      # mean step across 8×8 block edges / mean step inside blocks, above which: JPEG-like
JPEG_CLEAN = 98        # a JPEG file of this quality or more counts as clean
PROBE = 256            # side of the centre crop the measure looks at (bounded cost on any image)


def blockiness(y: torch.Tensor) -> float:
    """Mean absolute step between neighbours across the 8×8 grid's edges over the mean step inside blocks, for
    an H×W plane whose grid starts at (0, 0): about 1 for natural images, above for block-coded ones."""
    dh, dv = (y[:, :-1] - y[:, 1:]).abs(), (y[:-1] - y[1:]).abs()
    eh, ev = block_edges(y.shape[1]), block_edges(y.shape[0])
    edges = (dh[:, eh].mean() + dv[ev].mean()) / 2
    inside = (dh[:, ~eh].mean() + dv[~ev].mean()) / 2
    return float(edges / inside) if float(inside) > 0 else 1.0


def probe(pixels: torch.Tensor) -> torch.Tensor:
    """The luma (0-255) of a centre crop of up to PROBE² whose corner sits on the 8×8 grid of the image."""
    c, h, w = pixels.shape
    ph, pw = min(PROBE, h), min(PROBE, w)
    y0, x0 = (h - ph) // 2 // 8 * 8, (w - pw) // 2 // 8 * 8
    crop = pixels[:, y0:y0 + ph, x0:x0 + pw].double() * 255
    return (crop if c == 1 else rgb_to_y(crop))[0]


def condition(img: Image) -> tuple[str, str]:
    """("jpeg" or "clean", why) for an image, from its JPEG tables or its pixels."""
    q = img.meta.get("jpeg_quality")
    if q is not None and q < JPEG_CLEAN:
        return "jpeg", f"JPEG q{q}"
    y = probe(img.pixels)
    if min(y.shape) < 16:
        return "clean", "too small to judge"
    b = blockiness(y)
    if b > BLOCKINESS:
        return "jpeg", f"8x8 blocking {b:.2f}"
    return "clean", "clean"


class AutoSR:
    """The models of one scale behind one call, each image to the route that suits it: a JPEG through the
    artefact remover and then the clean model (measured against a real-input SR model fine-tuned on Real-ESRGAN's
    degradations, it won by 0.2-0.5 dB on held-out JPEG crops: ``python -m benchmarks.sr_real --choose``), a
    clean image through the clean model. A real-input model (``sr-real-x4``, if one is installed) takes the JPEG
    route where no dejpeg model is. ``force="jpeg"`` sends every image down the JPEG route (--degradation real).
    The result's ``meta`` names what ran (``model``) and says why (``note``)."""

    def __init__(self, clean, real=None, dejpeg=None, force: Optional[str] = None):
        if real is not None and clean is not None and clean.scale != real.scale:
            raise ValueError(f"models of different scales: ×{clean.scale} and ×{real.scale}")
        if force is not None and dejpeg is None and real is None:
            raise ValueError("the JPEG route needs a dejpeg or a real-input SR model")
        self.clean, self.real, self.dejpeg, self.force = clean, real, dejpeg, force
        self.scale = (clean or real).scale

    @property
    def id(self) -> str:
        return f"auto({', '.join(m.id for m in (self.clean, self.real, self.dejpeg) if m is not None)})"

    def route(self, img: Image) -> tuple[list, str]:
        """(the models ``img`` goes through, in order; why)."""
        kind, why = ("jpeg", "--degradation real") if self.force else condition(img)
        if kind == "jpeg" and self.dejpeg is not None and self.clean is not None:
            return [self.dejpeg, self.clean], why
        if kind == "jpeg" and self.real is not None:
            return [self.real], why
        return [self.clean], why

    def __call__(self, img: Image, tile: Union[int, str, None] = "auto",
                 progress: Optional[Callable[[int, int], None]] = None) -> Image:
        models, why = self.route(img)
        out = img
        for i, m in enumerate(models):
            out = m(out, tile=tile, progress=progress if i == len(models) - 1 else None)
        name = " + ".join(m.id for m in models)
        out.meta.update(model=name, note=f"{name} ({why})")
        return out
