"""JPEG compression as files really get it: Pillow's (libjpeg's) encoder with its quantisation tables, colour at
4:2:0, 4:2:2 or 4:4:4 chroma, gray as a one-plane JPEG, and double compression (saved twice, optionally after a
crop that moves the 8×8 grid; FBCNN's finding is that single-compression models fail there)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch

from restore.degrade.compose import Op, coin

__all__ = ["SUBSAMPLING", "jpeg_roundtrip", "JpegParams", "sample_jpeg", "apply_jpeg", "Jpeg",
           "DoubleJpegParams", "sample_double_jpeg", "apply_double_jpeg", "DoubleJpeg", "effective_quality"]

SUBSAMPLING = {"4:4:4": 0, "4:2:2": 1, "4:2:0": 2}     # Pillow's codes


def jpeg_roundtrip(img: torch.Tensor, quality: int, subsampling: int = 2) -> torch.Tensor:
    """A C×H×W image in [0, 1] (C = 3, or 1 for a gray JPEG) saved as a JPEG of ``quality`` with chroma
    ``subsampling`` (Pillow's code: 0 = 4:4:4, 1 = 4:2:2, 2 = 4:2:0) and read back."""
    import io

    import numpy as np
    from PIL import Image as PILImage

    arr = (img.clamp(0, 1) * 255).round().to(torch.uint8).permute(1, 2, 0).numpy()
    pil = PILImage.fromarray(arr[:, :, 0]) if arr.shape[2] == 1 else PILImage.fromarray(arr)
    buf = io.BytesIO()
    pil.save(buf, "JPEG", quality=int(quality), subsampling=int(subsampling))
    with PILImage.open(buf) as im:
        back = np.asarray(im).copy()
    back = back[:, :, None] if back.ndim == 2 else back
    return torch.from_numpy(back).permute(2, 0, 1).to(img.dtype) / 255


@dataclass(frozen=True)
class JpegParams:
    quality: int                 # 1-100
    subsampling: int = 2         # Pillow's code (see SUBSAMPLING)


def _subsampling(generator: Optional[torch.Generator], weights: tuple[float, float, float]) -> int:
    return int(torch.multinomial(torch.tensor(weights, dtype=torch.float64), 1, generator=generator))


def sample_jpeg(generator: Optional[torch.Generator], lo: int = 75, hi: int = 95,
                chroma: tuple[float, float, float] = (0.0, 0.0, 1.0)) -> JpegParams:
    """Quality uniform over the integers lo..hi (both included); subsampling 4:4:4 / 4:2:2 / 4:2:0 drawn with the
    weights ``chroma`` (default: always 4:2:0, what cameras and Pillow write)."""
    q = lo + int(torch.randint(0, hi - lo + 1, (1,), generator=generator))
    return JpegParams(q, 2 if chroma == (0.0, 0.0, 1.0) else _subsampling(generator, chroma))


def apply_jpeg(x: torch.Tensor, p: JpegParams) -> torch.Tensor:
    return jpeg_roundtrip(x, p.quality, p.subsampling)


@dataclass(frozen=True)
class Jpeg(Op):
    lo: int = 75
    hi: int = 95
    chroma: tuple[float, float, float] = (0.0, 0.0, 1.0)

    def sample(self, generator, x) -> JpegParams:
        return sample_jpeg(generator, self.lo, self.hi, self.chroma)

    def apply(self, x, params: JpegParams):
        return apply_jpeg(x, params)


@dataclass(frozen=True)
class DoubleJpegParams:
    first: JpegParams
    second: JpegParams
    shift: tuple[int, int]       # rows and columns cropped before the second save (0-7 each)


def sample_double_jpeg(generator: Optional[torch.Generator], lo: int = 10, hi: int = 95,
                       chroma: tuple[float, float, float] = (0.0, 0.0, 1.0),
                       shift_fraction: float = 0.5) -> DoubleJpegParams:
    """Two independent qualities in lo..hi; ``shift_fraction`` of the time the grid moves by 1-7 pixels in at
    least one direction (a crop between the saves), otherwise it stays aligned."""
    first = sample_jpeg(generator, lo, hi, chroma)
    second = sample_jpeg(generator, lo, hi, chroma)
    shift = (0, 0)
    if coin(generator, shift_fraction):
        while shift == (0, 0):
            shift = tuple(int(v) for v in torch.randint(0, 8, (2,), generator=generator))
    return DoubleJpegParams(first, second, shift)


def apply_double_jpeg(x: torch.Tensor, p: DoubleJpegParams) -> torch.Tensor:
    """Saved at ``p.first``, then the part right of and below ``p.shift`` saved again at ``p.second`` (so its
    8×8 grid starts ``shift`` pixels in); the uncropped edge keeps the first save only. Shape is kept."""
    once = apply_jpeg(x, p.first)
    dy, dx = p.shift
    out = once.clone()
    out[..., dy:, dx:] = apply_jpeg(once[..., dy:, dx:], p.second)
    return out


def effective_quality(p: JpegParams | DoubleJpegParams) -> int:
    """The quality a restorer should be told: a double save is as bad as its worse save."""
    return min(p.first.quality, p.second.quality) if isinstance(p, DoubleJpegParams) else p.quality


@dataclass(frozen=True)
class DoubleJpeg(Op):
    lo: int = 10
    hi: int = 95
    chroma: tuple[float, float, float] = (0.0, 0.0, 1.0)
    shift_fraction: float = 0.5

    def sample(self, generator, x) -> DoubleJpegParams:
        return sample_double_jpeg(generator, self.lo, self.hi, self.chroma, self.shift_fraction)

    def apply(self, x, params: DoubleJpegParams):
        return apply_double_jpeg(x, params)
