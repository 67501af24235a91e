"""Noise: additive Gaussian, Poisson-Gaussian (signal-dependent, as a sensor records it), and the camera model:
Poisson-Gaussian noise added in linear camera space behind the invertible ISP of :mod:`restore.degrade.camera`,
optionally on the Bayer mosaic. Every sample draws its noise tensor, so every apply is pure.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch

from restore.degrade.bayer import bayer_masks, mosaic
from restore.degrade.camera import CameraParams, camera_to_srgb, sample_camera, srgb_to_camera, wb_gains
from restore.degrade.compose import Op, coin, draw

__all__ = ["GaussianNoiseParams", "sample_gaussian_noise", "apply_gaussian_noise", "gaussian_noise",
           "GaussianNoise", "PoissonGaussianParams", "sample_poisson_gaussian", "apply_poisson_gaussian",
           "noise_sd", "PoissonGaussian", "CameraNoiseParams", "sample_camera_noise", "apply_camera_noise",
           "camera_noise", "CameraNoise"]


# -- Gaussian ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class GaussianNoiseParams:
    sigma: float                 # standard deviation, in the units of the image
    noise: torch.Tensor          # standard normal draws, the image's shape


def sample_gaussian_noise(generator: Optional[torch.Generator], shape, sigma,
                          dtype: torch.dtype = torch.float32) -> GaussianNoiseParams:
    """σ: the given number, or uniform in the (lo, hi) pair (drawn first); then N(0, 1) of ``shape``."""
    s = float(draw(generator, sigma))
    return GaussianNoiseParams(s, torch.randn(shape, generator=generator, dtype=dtype))


def apply_gaussian_noise(x: torch.Tensor, p: GaussianNoiseParams) -> torch.Tensor:
    """``x`` plus σ · noise (unclipped)."""
    return x + p.sigma * p.noise


def gaussian_noise(x: torch.Tensor, sigma: float, generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """``x`` plus N(0, σ²) noise (σ in the units of ``x``), from a seeded generator when given."""
    return apply_gaussian_noise(x, sample_gaussian_noise(generator, x.shape, sigma, x.dtype))


@dataclass(frozen=True)
class GaussianNoise(Op):
    """Additive Gaussian noise, σ (in the image's units) a number or a uniform (lo, hi) range; ``gray`` of the
    time one noise plane for all channels (luminance noise, as Real-ESRGAN's gray noise)."""
    sigma: object = (0.0, 75 / 255)
    gray: float = 0.0

    def sample(self, generator, x) -> GaussianNoiseParams:
        shape = (1, *x.shape[1:]) if self.gray > 0 and coin(generator, self.gray) else x.shape
        return sample_gaussian_noise(generator, shape, self.sigma, x.dtype)

    def apply(self, x, params: GaussianNoiseParams):
        return apply_gaussian_noise(x, params)


# -- Poisson-Gaussian -------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class PoissonGaussianParams:
    shot: object                 # variance gain: variance = shot · signal + read² (a number or a broadcast tensor)
    read: object                 # read-noise σ, in the units of the image (signal in [0, 1])
    noise: torch.Tensor          # standard normal draws, the image's shape


def sample_poisson_gaussian(generator: Optional[torch.Generator], shape, shot=(0.0, 0.004), read=(0.0, 20 / 255),
                            dtype: torch.dtype = torch.float32) -> PoissonGaussianParams:
    """Read σ then shot gain: each a number, a tensor, or uniform in a (lo, hi) pair; then N(0, 1) of ``shape``."""
    r = draw(generator, read)
    s = draw(generator, shot)
    return PoissonGaussianParams(s, r, torch.randn(shape, generator=generator, dtype=dtype))


def noise_sd(x: torch.Tensor, p: PoissonGaussianParams) -> torch.Tensor:
    """The noise's standard deviation at each value of the clean signal ``x``: √(shot · x + read²)."""
    return (p.shot * x + p.read ** 2).sqrt()


def apply_poisson_gaussian(x: torch.Tensor, p: PoissonGaussianParams) -> torch.Tensor:
    """``x`` (in [0, 1]) plus signal-dependent noise, clipped to [0, 1] as a sensor clips."""
    return (x + noise_sd(x, p) * p.noise).clamp(0, 1)


@dataclass(frozen=True)
class PoissonGaussian(Op):
    shot: object = (0.0, 0.004)
    read: object = (0.0, 20 / 255)

    def sample(self, generator, x) -> PoissonGaussianParams:
        return sample_poisson_gaussian(generator, x.shape, self.shot, self.read, x.dtype)

    def apply(self, x, params: PoissonGaussianParams):
        return apply_poisson_gaussian(x, params)


# -- the camera model -------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class CameraNoiseParams:
    camera: CameraParams
    noise: torch.Tensor          # standard normal draws in camera space (…×3×H×W, or …×1×H×W on a mosaic)
    pattern: Optional[str] = None


def _camera_shape(shape, pattern: Optional[str]) -> tuple:
    return tuple(shape) if pattern is None else (*shape[:-3], 1, *shape[-2:])


def sample_camera_noise(generator: Optional[torch.Generator], shape, pattern: Optional[str] = None,
                        max_shot: float = 0.012, camera: Optional[CameraParams] = None,
                        dtype: torch.dtype = torch.float32) -> CameraNoiseParams:
    """A camera (:func:`sample_camera`, unless given) and the noise for an sRGB image of ``shape``."""
    cam = sample_camera(generator, max_shot) if camera is None else camera
    return CameraNoiseParams(cam, torch.randn(_camera_shape(shape, pattern), generator=generator, dtype=dtype),
                             pattern)


def apply_camera_noise(rgb: torch.Tensor, p: CameraNoiseParams) -> torch.Tensor:
    """Noisy version of an sRGB image (…×3×H×W in [0, 1]) as a camera would record it.

    The image is taken back to linear camera space (inverse gamma, inverse colour matrix, inverse white
    balance), Poisson-Gaussian noise is added there, and the ISP runs forward again. With a ``pattern`` the
    noise is added to the Bayer mosaic and the mosaic (…×1×H×W, camera space, white-balanced) is returned.
    """
    c = p.camera
    cam = srgb_to_camera(rgb, c)
    if p.pattern is not None:
        cam = mosaic(cam, p.pattern)
    noisy = apply_poisson_gaussian(cam, PoissonGaussianParams(c.shot, c.read, p.noise))
    if p.pattern is not None:
        return noisy * (bayer_masks(p.pattern, *cam.shape[-2:]) * wb_gains(c, rgb.dtype)).sum(0, keepdim=True)
    return camera_to_srgb(noisy, c)


def camera_noise(rgb: torch.Tensor, p: CameraParams, generator: Optional[torch.Generator] = None,
                 pattern: Optional[str] = None) -> torch.Tensor:
    """:func:`apply_camera_noise` with camera ``p`` and noise drawn from ``generator``."""
    return apply_camera_noise(rgb, sample_camera_noise(generator, rgb.shape, pattern, camera=p, dtype=rgb.dtype))


@dataclass(frozen=True)
class CameraNoise(Op):
    """Camera noise of a random camera (a gray one-plane image is seen as three equal channels)."""
    max_shot: float = 0.012
    pattern: Optional[str] = None

    def sample(self, generator, x) -> CameraNoiseParams:
        return sample_camera_noise(generator, (*x.shape[:-3], 3, *x.shape[-2:]), self.pattern, self.max_shot,
                                   dtype=x.dtype)

    def apply(self, x, params: CameraNoiseParams):
        return apply_camera_noise(x.expand(*x.shape[:-3], 3, *x.shape[-2:]), params)
