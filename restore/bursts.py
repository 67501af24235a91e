"""Synthetic handheld bursts from one clean image, for burst-fusion training and held-out tests.

Each frame is the image moved by a random hand-shake (sub-pixel shift and a small rotation about the centre;
frame 0 is the reference and does not move), optionally downscaled (burst super-resolution), with an optional
moving object (a patch that travels across the frames, which fusion must not ghost), then noisy (Gaussian or the
camera model of :mod:`restore.degrade`) and optionally mosaicked, as in DBSR / Burstormer's synthetic sets.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Optional

import torch
import torch.nn.functional as F

from restore.degrade import camera_noise, mosaic, sample_camera

__all__ = ["FrameMotion", "motion_theta", "warp_theta", "warp", "unwarp", "Burst", "synth_burst"]


@dataclass
class FrameMotion:
    dx: float = 0.0          # shift in pixels of the full-resolution image
    dy: float = 0.0
    angle: float = 0.0       # rotation in degrees about the image centre


def motion_theta(m: FrameMotion, h: int, w: int) -> torch.Tensor:
    """3×3 affine map (normalised coordinates, as ``affine_grid`` takes) of the camera motion ``m``:
    output pixel p samples the input at ``theta · p``."""
    a = math.radians(m.angle)
    return torch.tensor([[math.cos(a), -math.sin(a) * h / w, 2 * m.dx / w],
                         [math.sin(a) * w / h, math.cos(a), 2 * m.dy / h],
                         [0.0, 0.0, 1.0]], dtype=torch.float64)


def warp_theta(img: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    """…×C×H×W image resampled through the 3×3 normalised affine ``theta`` (bilinear, borders mirrored)."""
    shape = img.shape
    x = img.reshape(-1, *shape[-3:])
    t = theta[:2].to(x.dtype).expand(x.shape[0], 2, 3)
    grid = F.affine_grid(t, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False).reshape(shape)


def warp(img: torch.Tensor, m: FrameMotion) -> torch.Tensor:
    """…×C×H×W image as seen after the camera moved by ``m`` (exact for no motion)."""
    if m == FrameMotion():
        return img.clone()
    return warp_theta(img, motion_theta(m, *img.shape[-2:]))


def unwarp(img: torch.Tensor, m: FrameMotion) -> torch.Tensor:
    """Undo :func:`warp`: bring a frame taken after motion ``m`` back onto the reference."""
    if m == FrameMotion():
        return img.clone()
    return warp_theta(img, torch.linalg.inv(motion_theta(m, *img.shape[-2:])))


@dataclass
class Burst:
    frames: torch.Tensor                  # N×C×h×w noisy frames (C = 3, or 1 when mosaicked)
    target: torch.Tensor                  # 3×H×W clean reference (frame 0, full resolution)
    motions: list = field(default_factory=list)
    object_box: Optional[tuple] = None    # (y, x, size) of the moving object in the reference, if any


def synth_burst(clean: torch.Tensor, n: int, gen: torch.Generator, scale: int = 1, max_shift: float = 4.0,
                max_angle: float = 1.0, sigma: Optional[float] = None, camera: bool = False,
                pattern: Optional[str] = None, moving_object: bool = False) -> Burst:
    """A burst of ``n`` frames of a clean 3×H×W image in [0, 1] (H, W divisible by ``scale``).

    ``sigma``: Gaussian noise σ in 8-bit units (default: drawn from 5-50); ``camera`` uses the
    Poisson-Gaussian camera model instead. ``moving_object`` pastes a patch of the image that moves by up to
    a sixth of the frame between the first and last frame.
    """
    if n < 1:
        raise ValueError("a burst needs at least one frame")
    h, w = clean.shape[-2:]
    if h % scale or w % scale:
        raise ValueError(f"image sides must be divisible by the scale {scale}")
    u = lambda lo, hi: lo + (hi - lo) * float(torch.rand(1, generator=gen))  # noqa: E731
    sigma = u(5, 50) if sigma is None else sigma
    cam = sample_camera(gen) if camera else None
    box = None
    if moving_object:
        size = max(4, min(h, w) // 6)
        sy, sx = int(u(0, h - size)), int(u(0, w - size))
        y0, x0 = int(u(0, h - size)), int(u(0, w - 2 * size))
        patch = clean[:, sy:sy + size, sx:sx + size]
        step = (size / max(1, n - 1), u(-0.5, 0.5) * size / max(1, n - 1))
        box = (y0, x0, size)
    frames, motions = [], []
    for i in range(n):
        m = FrameMotion() if i == 0 else FrameMotion(u(-max_shift, max_shift), u(-max_shift, max_shift),
                                                     u(-max_angle, max_angle))
        f = warp(clean, m)
        if moving_object:
            oy = min(h - size, max(0, int(round(y0 + i * step[1]))))
            ox = min(w - size, int(round(x0 + i * step[0])))
            f = f.clone()
            f[:, oy:oy + size, ox:ox + size] = patch
        if scale > 1:
            f = F.avg_pool2d(f[None], scale)[0]
        if cam is not None:
            f = camera_noise(f, cam, gen, pattern=pattern)
        else:
            f = (f + sigma / 255 * torch.randn(f.shape, generator=gen, dtype=f.dtype)).clamp(0, 1)
            if pattern is not None:
                f = mosaic(f, pattern)
        frames.append(f)
        motions.append(m)
    target = clean.clone()
    if moving_object:
        target[:, y0:y0 + size, x0:x0 + size] = patch
    return Burst(torch.stack(frames), target, motions, box)
