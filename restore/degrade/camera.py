"""A simple invertible camera pipeline (ISP): white balance, colour matrix, sRGB gamma, after Brooks et al.,
"Unprocessing Images for Learned Raw Denoising" (2019). :mod:`restore.degrade.noise` adds sensor noise between
:func:`srgb_to_camera` and :func:`camera_to_srgb`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import torch

from restore.degrade.color import linear_to_srgb, srgb_to_linear

__all__ = ["CameraParams", "sample_camera", "wb_gains", "srgb_to_camera", "camera_to_srgb"]

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


def sample_camera(generator: Optional[torch.Generator], max_shot: float = 0.012,
                  min_shot: float = 1e-4) -> CameraParams:
    """Random camera as in the Unprocessing paper: shot noise log-uniform in [``min_shot``, ``max_shot``], read
    noise *variance* log-normal around the line log(read²) = 2.18·log(shot) + 1.20 that the paper fits to real
    sensors (stored as its σ); red gain 1.9-2.4, blue gain 1.5-1.9, a colour matrix between two sensors'."""
    u = torch.rand(5, generator=generator, dtype=torch.float64).tolist()
    log_shot = math.log(min_shot) + u[0] * (math.log(max_shot) - math.log(min_shot))
    log_var = 2.18 * log_shot + 1.20 + 0.26 * float(torch.randn(1, generator=generator, dtype=torch.float64))
    t = u[3]
    ccm = tuple(tuple((1 - t) * a + t * b for a, b in zip(ra, rb)) for ra, rb in zip(*_CAM_TO_RGB))
    return CameraParams(math.exp(log_shot), math.exp(log_var / 2), 1.9 + 0.5 * u[1], 1.5 + 0.4 * u[2], ccm)


def wb_gains(p: CameraParams, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """3×1×1 white-balance gains (R, G, B)."""
    return torch.tensor([p.red_gain, 1.0, p.blue_gain], dtype=dtype).view(3, 1, 1)


def srgb_to_camera(rgb: torch.Tensor, p: CameraParams) -> torch.Tensor:
    """The ISP run backwards: sRGB (…×3×H×W in [0, 1]) → linear camera RGB before white balance, clipped to
    [0, 1]."""
    m = torch.tensor(p.cam_to_rgb, dtype=rgb.dtype)
    cam = torch.einsum("ij,...jhw->...ihw", torch.linalg.inv(m), srgb_to_linear(rgb))
    return (cam / wb_gains(p, rgb.dtype)).clamp(0, 1)


def camera_to_srgb(cam: torch.Tensor, p: CameraParams) -> torch.Tensor:
    """The ISP: linear camera RGB → white balance → colour matrix → sRGB gamma."""
    m = torch.tensor(p.cam_to_rgb, dtype=cam.dtype)
    return linear_to_srgb(torch.einsum("ij,...jhw->...ihw", m, cam * wb_gains(p, cam.dtype)))
