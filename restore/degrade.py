"""Degradations for training and evaluation data, each a pure torch function.

Downscaling (SR), Gaussian noise, the Bayer mosaic, and a camera-noise model: Poisson-Gaussian noise added
in linear camera space behind a simple invertible ISP (white balance, colour matrix, sRGB gamma), after
Brooks et al., "Unprocessing Images for Learned Raw Denoising" (2019).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import torch

from restore.formats import PATTERNS
from restore.resize import imresize

__all__ = ["mod_crop", "bicubic_downscale", "bicubic_upscale", "PATTERNS", "check_pattern", "bayer_masks",
           "mosaic", "srgb_to_linear", "linear_to_srgb", "gaussian_noise", "CameraParams", "sample_camera",
           "camera_noise", "jpeg_roundtrip"]


def mod_crop(img: torch.Tensor, scale: int) -> torch.Tensor:
    """Crop the bottom/right so height and width are multiples of ``scale``."""
    h, w = img.shape[-2:]
    return img[..., : h - h % scale, : w - w % scale]


def _to_u8_range(x: torch.Tensor) -> torch.Tensor:
    return x.round().clamp(0, 255)


def bicubic_downscale(hr: torch.Tensor, scale: int) -> torch.Tensor:
    """MATLAB ``imresize(hr, 1/scale, 'bicubic')`` of a 0–255 image, rounded to integers (the SR input)."""
    return _to_u8_range(imresize(hr.double(), 1.0 / scale)).to(hr.dtype)


def bicubic_upscale(lr: torch.Tensor, scale: int) -> torch.Tensor:
    """MATLAB ``imresize(lr, scale, 'bicubic')`` of a 0–255 image, rounded (the bicubic SR baseline)."""
    return _to_u8_range(imresize(lr.double(), float(scale))).to(lr.dtype)


# -- Bayer mosaic -----------------------------------------------------------------------------------------------
def check_pattern(pattern: str) -> str:
    """The pattern in upper case, or a one-line ValueError naming the valid ones."""
    p = str(pattern).upper()
    if p not in PATTERNS:
        raise ValueError(f"unknown Bayer pattern {pattern!r}; use one of {', '.join(PATTERNS)}")
    return p


def bayer_masks(pattern: str, height: int, width: int) -> torch.Tensor:
    """3×H×W boolean masks: which of R, G, B each photosite records (the 2×2 ``pattern`` read row by row)."""
    p = check_pattern(pattern)
    masks = torch.zeros(3, height, width, dtype=torch.bool)
    for k, colour in enumerate(p):
        c = "RGB".index(colour)
        masks[c, k // 2::2, k % 2::2] = True
    return masks


def mosaic(rgb: torch.Tensor, pattern: str = "RGGB") -> torch.Tensor:
    """…×3×H×W RGB → …×1×H×W Bayer mosaic (each site keeps the colour its filter passes)."""
    m = bayer_masks(pattern, *rgb.shape[-2:]).to(rgb.device)
    return (rgb * m).sum(-3, keepdim=True)


# -- noise ------------------------------------------------------------------------------------------------------
def gaussian_noise(x: torch.Tensor, sigma: float, generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """``x`` plus N(0, σ²) noise (σ in the units of ``x``), from a seeded generator when given."""
    return x + sigma * torch.randn(x.shape, generator=generator, dtype=x.dtype)


def srgb_to_linear(x: torch.Tensor) -> torch.Tensor:
    """sRGB transfer function inverse, for values in [0, 1]."""
    x = x.clamp(0, 1)
    return torch.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(x: torch.Tensor) -> torch.Tensor:
    """sRGB transfer function, for linear values in [0, 1]."""
    x = x.clamp(0, 1)
    return torch.where(x <= 0.0031308, 12.92 * x, 1.055 * x.clamp_min(1e-12) ** (1 / 2.4) - 0.055)


# camera RGB → sRGB-linear matrices of two common sensors (rows sum to 1, so grey stays grey)
_CAM_TO_RGB = (
    ((1.8460, -0.7780, -0.0680), (-0.2060, 1.5190, -0.3130), (0.0310, -0.6240, 1.5930)),
    ((1.6300, -0.5500, -0.0800), (-0.1600, 1.4100, -0.2500), (0.0100, -0.4800, 1.4700)),
)


@dataclass
class CameraParams:
    """One simulated camera and exposure: noise (linear, 0-1 scale), white balance, colour matrix."""
    shot: float                   # Poisson part: variance = shot · signal
    read: float                   # Gaussian part: standard deviation of the read noise
    red_gain: float = 2.0
    blue_gain: float = 1.7
    cam_to_rgb: tuple = _CAM_TO_RGB[0]


def sample_camera(generator: torch.Generator, max_shot: float = 0.012) -> CameraParams:
    """Random camera as in the Unprocessing paper: log-uniform shot noise, read noise tied to it."""
    u = torch.rand(5, generator=generator, dtype=torch.float64).tolist()
    log_shot = math.log(1e-4) + u[0] * (math.log(max_shot) - math.log(1e-4))
    log_read = 2.18 * log_shot + 1.20 + 0.26 * float(torch.randn(1, generator=generator, dtype=torch.float64))
    t = u[3]
    ccm = tuple(tuple((1 - t) * a + t * b for a, b in zip(ra, rb)) for ra, rb in zip(*_CAM_TO_RGB))
    return CameraParams(math.exp(log_shot), math.exp(log_read), 1.9 + 0.5 * u[1], 1.5 + 0.4 * u[2], ccm)


def camera_noise(rgb: torch.Tensor, p: CameraParams, generator: Optional[torch.Generator] = None,
                 pattern: Optional[str] = None) -> torch.Tensor:
    """Noisy version of an sRGB image (…×3×H×W in [0, 1]) as a camera would record it.

    The image is taken back to linear camera space (inverse gamma, inverse colour matrix, inverse white
    balance), Poisson-Gaussian noise is added there, and the ISP runs forward again. With ``pattern`` the
    noise is added to the Bayer mosaic and the mosaic (…×1×H×W, camera space, white-balanced) is returned.
    """
    m = torch.tensor(p.cam_to_rgb, dtype=rgb.dtype)
    lin = srgb_to_linear(rgb)
    cam = torch.einsum("ij,...jhw->...ihw", torch.linalg.inv(m), lin)
    gains = torch.tensor([p.red_gain, 1.0, p.blue_gain], dtype=rgb.dtype).view(3, 1, 1)
    cam = (cam / gains).clamp(0, 1)
    if pattern is not None:
        cam = mosaic(cam, pattern)
    var = p.shot * cam + p.read ** 2
    noisy = (cam + var.sqrt() * torch.randn(cam.shape, generator=generator, dtype=cam.dtype)).clamp(0, 1)
    if pattern is not None:
        return noisy * (bayer_masks(pattern, *cam.shape[-2:]) * gains).sum(0, keepdim=True)
    return linear_to_srgb(torch.einsum("ij,...jhw->...ihw", m, noisy * gains))


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
