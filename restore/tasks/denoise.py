"""Colour denoising, blind or with a given noise level (the task around :class:`DenoiseNet`)."""
from __future__ import annotations

from typing import Callable, Optional, Union

import torch

from restore.io import Image
from restore.tasks.base import TaskModel
from restore.tasks.spec import TaskSpec, register_task
from restore.archs.denoisenet import DenoiseNet

__all__ = ["DenoiseModel", "MAX_SIGMA", "SPEC", "CAMERA_NOISE_LIMITS"]

MAX_SIGMA = 75.0      # the noise levels the model is trained for (0-255 units)


class DenoiseModel(TaskModel):
    """Removes noise from the colour planes; alpha passes through. ``sigma`` None means blind."""

    multiple = 2      # the network works on 2×2 pixel blocks

    def __init__(self, net: DenoiseNet, precision: str = "auto", entry=None):
        super().__init__(net, precision, entry)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)[0]

    def tensor_fn(self, sigma: Optional[float] = None,
                  strength: float = 1.0) -> Callable[[torch.Tensor], torch.Tensor]:
        """Blind (``sigma`` None) or at a fixed noise level in 8-bit units; ``strength`` below 1 keeps that share
        of the removed noise (input + strength · (denoised − input)), for people who want some grain left."""
        if sigma is not None and not 0 <= float(sigma) <= MAX_SIGMA:
            raise ValueError(f"sigma must be between 0 and {MAX_SIGMA:g} (8-bit units), not {sigma}")
        if not 0 <= float(strength) <= 1:
            raise ValueError(f"strength must be between 0 and 1, not {strength}")
        net = self.forward if sigma is None else (lambda x: self.net(x, float(sigma))[0])
        if strength == 1:
            return net
        return lambda x: torch.lerp(x, net(x).clamp(0, 1), float(strength))

    def __call__(self, img: Image, sigma: Optional[float] = None, tile: Union[int, str, None] = "auto",
                 progress: Optional[Callable[[int, int], None]] = None, strength: float = 1.0) -> Image:
        if img.channels not in (1, 3):
            raise ValueError(f"expected 1 or 3 colour channels, got {img.channels}")
        pixels = self.run_tensor(img.pixels, tile, progress, forward=self.tensor_fn(sigma, strength))
        alpha = None if img.alpha is None else img.alpha.clone()
        return img.with_pixels(pixels, alpha)


NOISE_KINDS = ("auto", "camera", "gaussian")


def default_denoiser(sigma: Optional[float], noise: str = "auto") -> str:
    """The model ``restore denoise`` runs when none is named: for ``noise`` "camera" the camera-noise model, for
    "gaussian" the Gaussian one, and for "auto" the camera-noise model when blind (photos carry camera noise; on
    PolyU's real pairs it is 0.47 dB ahead of the Gaussian model, which is 0.07 dB ahead on Gaussian noise) and
    the Gaussian model with a given σ or where the camera model is not installed."""
    if noise not in NOISE_KINDS:
        raise ValueError(f"noise must be one of {', '.join(NOISE_KINDS)}, not {noise!r}")
    if noise != "auto":
        return "denoise-real" if noise == "camera" else "denoise"
    if sigma is None:
        from restore.weights import Manifest

        try:
            Manifest().resolve("denoise-real")
            return "denoise-real"
        except KeyError:
            pass
    return "denoise"


CAMERA_NOISE_LIMITS = (
    "Camera-noise model (denoise-real), what blind `restore denoise` runs: half of its samples went "
    "through restore.degrade.isp (sRGB unprocessed to a raw Bayer mosaic, Poisson-Gaussian noise on the "
    "log-linear shot/read relation of real sensors, sometimes row noise, OpenCV bilinear or edge-aware demosaic, "
    "white balance, colour matrix, gamma, tone curve, sometimes chroma noise reduction and sharpening, JPEG "
    "q70-98 for 60 %) with the same camera's noiseless rendering as the target, half Gaussian σ 0-75; "
    "fine-tuned from the Gaussian model. It keeps the camera's own rendering (sharpening, colour) and removes "
    "the noise; --strength keeps some grain. Not trained on raw files or on real noisy/clean pairs. "
    "Small (CPU-trained) model.")

SPEC = register_task(TaskSpec(
    name="denoise", model=DenoiseModel, default="denoise", what="denoising", train="train denoise",
    recipe="restore.recipes.denoise:DenoiseRecipe", trainer="restore.recipes.denoise:train_denoise",
    limits="Colour denoiser trained on synthetic noise: Gaussian σ 0-75 and a Poisson-Gaussian camera model behind a "
           "simple ISP (half of those then saved as JPEG), some samples gray. Give --sigma (8-bit units) when the "
           "level is known; blind mode estimates a per-pixel level. Small (CPU-trained) model."))
