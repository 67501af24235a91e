"""Colour denoising, blind or with a given noise level (the task around :class:`DenoiseNet`)."""
from __future__ import annotations

from typing import Callable, Optional, Union

import torch

from restore.io import Image
from restore.tasks.base import TaskModel
from restore.tasks.spec import TaskSpec, register_task
from restore.archs.denoisenet import DenoiseNet

__all__ = ["DenoiseModel", "MAX_SIGMA", "SPEC"]

MAX_SIGMA = 75.0      # the noise levels the model is trained for (0-255 units)


class DenoiseModel(TaskModel):
    """Removes noise from the colour planes; alpha passes through. ``sigma`` None means blind."""

    multiple = 2      # the network works on 2×2 pixel blocks

    def __init__(self, net: DenoiseNet, precision: str = "auto", entry=None):
        super().__init__(net, precision, entry)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)[0]

    def tensor_fn(self, sigma: Optional[float] = None) -> Callable[[torch.Tensor], torch.Tensor]:
        """Blind (``sigma`` None) or at a fixed noise level in 8-bit units."""
        if sigma is None:
            return self.forward
        if not 0 <= float(sigma) <= MAX_SIGMA:
            raise ValueError(f"sigma must be between 0 and {MAX_SIGMA:g} (8-bit units), not {sigma}")
        return lambda x: self.net(x, float(sigma))[0]

    def __call__(self, img: Image, sigma: Optional[float] = None, tile: Union[int, str, None] = "auto",
                 progress: Optional[Callable[[int, int], None]] = None) -> Image:
        if img.channels not in (1, 3):
            raise ValueError(f"expected 1 or 3 colour channels, got {img.channels}")
        pixels = self.run_tensor(img.pixels, tile, progress, forward=self.tensor_fn(sigma=sigma))
        alpha = None if img.alpha is None else img.alpha.clone()
        return img.with_pixels(pixels, alpha)


SPEC = register_task(TaskSpec(
    name="denoise", model=DenoiseModel, default="denoise", what="denoising", train="train denoise",
    recipe="restore.recipes.denoise:DenoiseRecipe", trainer="restore.recipes.denoise:train_denoise",
    limits="Colour denoiser trained on synthetic noise: Gaussian σ 0-75 and a Poisson-Gaussian camera model behind a "
           "simple ISP (half of those then saved as JPEG), some samples gray. Give --sigma (8-bit units) when the "
           "level is known; blind mode estimates a per-pixel level. Small (CPU-trained) model."))
