"""JPEG-artefact removal (the task around :class:`DejpegNet`): told the quality the file's tables give, a
``quality`` override, or an estimate from the pixels for images converted to PNG after compression."""
from __future__ import annotations

from typing import Callable, Optional, Union

import torch

from restore.archs.dejpegnet import level_quality
from restore.io import Image
from restore.tasks.base import TaskModel
from restore.tasks.spec import TaskSpec, register_task

__all__ = ["DejpegModel", "SPEC", "ESTIMATE_CROP", "ESTIMATE_CROPS"]

ESTIMATE_CROP = 128         # side of the crops the blind estimate averages over (a multiple of 16)
ESTIMATE_CROPS = 16         # at most this many, spread over the image on a grid


class DejpegModel(TaskModel):
    """Removes JPEG blocking, ringing and colour bleeding from the colour planes; alpha passes through."""

    multiple = 2      # the network works on 2×2 pixel blocks

    @torch.no_grad()
    def estimate_quality(self, x: torch.Tensor) -> float:
        """The JPEG quality of C×H×W pixels, from the network's level estimator averaged over up to
        ``ESTIMATE_CROPS`` crops at 16-pixel-aligned positions (bounded cost on any image size)."""
        x = self.rgb_in(x)
        h, w = x.shape[-2:]
        c = min(ESTIMATE_CROP, h, w) // 2 * 2
        ys = torch.linspace(0, h - c, 4).long().div(16, rounding_mode="floor").mul(16).unique().tolist()
        xs = torch.linspace(0, w - c, 4).long().div(16, rounding_mode="floor").mul(16).unique().tolist()
        crops = torch.stack([x[:, y:y + c, v:v + c] for y in ys for v in xs][:ESTIMATE_CROPS])
        level = self._run(crops, lambda t: self.net.estimator(t)).float().mean()
        return float(min(max(level_quality(level), 1.0), 100.0))

    def quality_for(self, img: Image, quality: Optional[float] = None) -> tuple[float, str]:
        """(quality to tell the network, where it came from: "given", "file" or "estimated")."""
        if quality is not None:
            if not 1 <= float(quality) <= 100:
                raise ValueError(f"quality must be between 1 and 100, not {quality}")
            return float(quality), "given"
        if img.meta.get("jpeg_quality") is not None:
            return float(img.meta["jpeg_quality"]), "file"
        return self.estimate_quality(img.pixels), "estimated"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)[0]

    def tensor_fn(self, quality: Optional[float] = None) -> Callable[[torch.Tensor], torch.Tensor]:
        """At a fixed JPEG quality (1-100), or with the per-pixel estimate when None."""
        if quality is None:
            return self.forward
        return lambda x: self.net(x, float(quality))[0]

    def __call__(self, img: Image, quality: Optional[float] = None, tile: Union[int, str, None] = "auto",
                 progress: Optional[Callable[[int, int], None]] = None) -> Image:
        if img.channels not in (1, 3):
            raise ValueError(f"expected 1 or 3 colour channels, got {img.channels}")
        q, source = self.quality_for(img, quality)
        pixels = self.run_tensor(img.pixels, tile, progress, forward=self.tensor_fn(q))
        out = img.with_pixels(pixels, None if img.alpha is None else img.alpha.clone())
        out.meta.update(jpeg_quality_used=round(q, 1), jpeg_quality_source=source,
                        note=f"quality {q:.0f} ({'from the file' if source == 'file' else source})")
        return out


SPEC = register_task(TaskSpec(
    name="dejpeg", model=DejpegModel, default="dejpeg", what="JPEG-artefact removal", train="train dejpeg",
    recipe="restore.recipes.dejpeg:DejpegRecipe", trainer="restore.recipes.dejpeg:train_dejpeg",
    limits="Trained on Pillow (libjpeg) JPEGs of qualities 5-95 at 4:4:4, 4:2:2 and 4:2:0, gray and colour, some "
           "saved twice with a moved 8x8 grid. The quality comes from the file's quantisation tables, --quality, "
           "or an estimate from the pixels. Encoders with their own tables get the nearest libjpeg quality. "
           "Small (CPU-trained) model."))
