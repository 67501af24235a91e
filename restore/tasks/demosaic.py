"""Demosaicing of Bayer mosaics, optionally with missing sites and noise (the task around :class:`DemosaicNet`)."""
from __future__ import annotations

from typing import Callable, Optional, Union

import torch

from restore.io import Image
from restore.tasks.base import TaskModel
from restore.tasks.spec import TaskSpec, register_task
from restore.archs.demosaicnet import DemosaicNet, from_rggb, to_rggb
from restore.degrade import check_pattern

__all__ = ["DemosaicModel", "check_mosaic", "SPEC"]


def check_mosaic(img: Image, pattern: str, mask: Optional[torch.Tensor] = None) -> str:
    """The normalised pattern, or a one-line ValueError for input a Bayer demosaicer cannot take."""
    pattern = check_pattern(pattern)
    if img.channels != 1 or img.alpha is not None:
        n = img.channels + (img.alpha is not None)
        raise ValueError(f"expected a single-channel Bayer mosaic, got {n} channels")
    if img.height % 2 or img.width % 2:
        raise ValueError(f"a Bayer mosaic needs an even width and height, got {img.width}×{img.height}")
    if mask is not None and tuple(mask.shape[-2:]) != (img.height, img.width):
        raise ValueError(f"mask is {mask.shape[-1]}×{mask.shape[-2]}, but the mosaic is {img.width}×{img.height}")
    return pattern


class DemosaicModel(TaskModel):
    """Single-channel Bayer mosaic (+ optional validity mask) → RGB image of the same bit depth."""

    multiple = 2      # tiles start on the 2×2 Bayer grid, so every tile has the image's pattern

    def __init__(self, net: DemosaicNet, precision: str = "auto", entry=None):
        super().__init__(net, precision, entry)

    def __call__(self, img: Image, pattern: str = "RGGB", mask: Optional[torch.Tensor] = None,
                 sigma: Optional[float] = None, tile: Union[int, str, None] = "auto",
                 progress: Optional[Callable[[int, int], None]] = None) -> Image:
        """Demosaic ``img``. ``mask`` (H×W, nonzero = missing) marks sites without a measurement (defective or
        event pixels); ``sigma`` is the noise level in 8-bit units (None: estimated; 0 for a clean mosaic)."""
        pattern = check_mosaic(img, pattern, mask)
        valid = torch.ones_like(img.pixels) if mask is None else (mask.reshape(img.pixels.shape) == 0).float()

        def fn(t: torch.Tensor) -> torch.Tensor:
            t = to_rggb(t, pattern)
            return from_rggb(self.net(t[:, :1], t[:, 1:], sigma)[0], pattern)

        x = torch.cat([img.pixels, valid])
        out = self.tiler(tile).run(lambda t: self._run(t, fn), x, progress).clamp_(0, 1)
        res = img.with_pixels(out, None)
        res.meta["demosaic_pattern"] = pattern
        return res


SPEC = register_task(TaskSpec(
    name="demosaic", model=DemosaicModel, default="demosaic", what="demosaicing", train="train demosaic",
    recipe="restore.recipes.demosaic:DemosaicRecipe", trainer="restore.recipes.demosaic:train_demosaic",
    limits="Bayer demosaicer (any of RGGB/BGGR/GRBG/GBRG) trained on mosaics of sRGB photos, with up to 8 % missing "
           "sites and Poisson-Gaussian noise up to read σ 20 (8-bit units); it estimates the noise level unless "
           "--sigma is given. Small (CPU-trained) model."))
