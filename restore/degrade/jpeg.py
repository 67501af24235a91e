"""JPEG compression: an image saved as a JPEG (4:2:0, Pillow's encoder) and read back, as a phone stores it."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch

from restore.degrade.compose import Op

__all__ = ["jpeg_roundtrip", "JpegParams", "sample_jpeg", "apply_jpeg", "Jpeg"]


def jpeg_roundtrip(rgb: torch.Tensor, quality: int) -> torch.Tensor:
    """A 3×H×W image in [0, 1] saved as a JPEG (4:2:0, ``quality``) and read back, as a phone would store it."""
    import io

    import numpy as np
    from PIL import Image as PILImage

    arr = (rgb.clamp(0, 1) * 255).round().to(torch.uint8).permute(1, 2, 0).numpy()
    buf = io.BytesIO()
    PILImage.fromarray(arr).save(buf, "JPEG", quality=int(quality))
    with PILImage.open(buf) as im:
        back = np.asarray(im.convert("RGB")).copy()
    return torch.from_numpy(back).permute(2, 0, 1).to(rgb.dtype) / 255


@dataclass(frozen=True)
class JpegParams:
    quality: int                 # 1-100


def sample_jpeg(generator: Optional[torch.Generator], lo: int = 75, hi: int = 95) -> JpegParams:
    """Quality uniform over the integers lo..hi (both included)."""
    return JpegParams(lo + int(torch.randint(0, hi - lo + 1, (1,), generator=generator)))


def apply_jpeg(x: torch.Tensor, p: JpegParams) -> torch.Tensor:
    return jpeg_roundtrip(x, p.quality)


@dataclass(frozen=True)
class Jpeg(Op):
    lo: int = 75
    hi: int = 95

    def sample(self, generator, x) -> JpegParams:
        return sample_jpeg(generator, self.lo, self.hi)

    def apply(self, x, params: JpegParams):
        return apply_jpeg(x, params)
