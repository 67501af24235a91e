"""Synthetic handheld bursts from one clean image, for burst-fusion training and held-out tests.

Each frame is the image moved by a random hand-shake (sub-pixel shift and a small rotation about the centre;
frame 0 is the reference and does not move), optionally downscaled (burst super-resolution), with an optional
moving object (a patch that travels across the frames, which fusion must not ghost), then noisy (Gaussian or the
camera model of :mod:`restore.degrade.noise`) and optionally mosaicked, as in DBSR / Burstormer's synthetic sets.
:func:`sample_burst` draws every frame's motion and noise, :func:`apply_burst` makes the frames from them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Optional

import torch
import torch.nn.functional as F

from restore.degrade.bayer import mosaic
from restore.degrade.camera import sample_camera
from restore.degrade.compose import Op, coin, draw, uniform
from restore.degrade.noise import GaussianNoiseParams, apply_camera_noise, apply_gaussian_noise, sample_camera_noise

__all__ = ["FrameMotion", "sample_motion", "motion_theta", "warp_theta", "warp", "unwarp", "Burst", "MovingObject",
           "BurstParams", "sample_burst", "apply_burst", "synth_burst", "HandheldBurst"]


@dataclass
class FrameMotion:
    dx: float = 0.0          # shift in pixels of the full-resolution image
    dy: float = 0.0
    angle: float = 0.0       # rotation in degrees about the image centre


def sample_motion(generator: Optional[torch.Generator], max_shift: float = 4.0, max_angle: float = 1.0) -> FrameMotion:
    """A hand shake: shifts uniform in ±``max_shift`` pixels, rotation uniform in ±``max_angle`` degrees."""
    return FrameMotion(uniform(generator, -max_shift, max_shift), uniform(generator, -max_shift, max_shift),
                       uniform(generator, -max_angle, max_angle))


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


@dataclass(frozen=True)
class MovingObject:
    src_y: int                   # where its patch is taken from the clean image
    src_x: int
    y: int                       # where it is in the reference frame (frame 0)
    x: int
    size: int                    # side of the square patch, pixels
    step_x: float                # its motion per frame, pixels
    step_y: float


@dataclass(frozen=True, eq=False)
class BurstParams:
    scale: int                   # frames are the image downscaled by this (box filter)
    sigma: float                 # Gaussian noise σ, 8-bit units (unused with the camera model)
    motions: tuple               # FrameMotion per frame; frame 0 does not move
    noise: tuple                 # per frame: GaussianNoiseParams (σ in [0, 1] units) or CameraNoiseParams
    pattern: Optional[str] = None
    moving: Optional[MovingObject] = None


def sample_burst(generator: Optional[torch.Generator], shape, n: int, scale: int = 1, max_shift: float = 4.0,
                 max_angle: float = 1.0, sigma: Optional[float] = None, camera: bool = False,
                 pattern: Optional[str] = None, moving_object: bool = False,
                 dtype: torch.dtype = torch.float32) -> BurstParams:
    """Everything random about a burst of ``n`` frames of a 3×H×W image of ``shape`` (H, W divisible by ``scale``).

    ``sigma``: Gaussian noise σ in 8-bit units (default: uniform in 5-50); ``camera`` draws one camera
    (Poisson-Gaussian model) for all frames instead. ``moving_object``: a patch of the image (a sixth of the
    shorter side) that moves by up to a sixth of the frame between the first and last frame. Each frame but the
    first moves by :func:`sample_motion` (shift ±``max_shift`` pixels, rotation ±``max_angle`` degrees).
    """
    if n < 1:
        raise ValueError("a burst needs at least one frame")
    c, h, w = shape[-3:]
    if h % scale or w % scale:
        raise ValueError(f"image sides must be divisible by the scale {scale}")
    sigma = uniform(generator, 5, 50) if sigma is None else sigma
    cam = sample_camera(generator) if camera else None
    obj = None
    if moving_object:
        size = max(4, min(h, w) // 6)
        sy, sx = int(uniform(generator, 0, h - size)), int(uniform(generator, 0, w - size))
        y0, x0 = int(uniform(generator, 0, h - size)), int(uniform(generator, 0, w - 2 * size))
        obj = MovingObject(sy, sx, y0, x0, size, size / max(1, n - 1),
                           uniform(generator, -0.5, 0.5) * size / max(1, n - 1))
    frame_shape = (c, h // scale, w // scale)
    motions, noise = [], []
    for i in range(n):
        motions.append(FrameMotion() if i == 0 else sample_motion(generator, max_shift, max_angle))
        if cam is not None:
            noise.append(sample_camera_noise(generator, frame_shape, pattern, camera=cam, dtype=dtype))
        else:
            noise.append(GaussianNoiseParams(sigma / 255, torch.randn(frame_shape, generator=generator, dtype=dtype)))
    return BurstParams(scale, float(sigma), tuple(motions), tuple(noise), pattern, obj)


def apply_burst(clean: torch.Tensor, p: BurstParams) -> Burst:
    """The burst of a clean 3×H×W image in [0, 1]: each frame warped, the object pasted, downscaled, noisy
    (clipped to [0, 1]) and mosaicked as ``p`` says."""
    h, w = clean.shape[-2:]
    o = p.moving
    patch = None if o is None else clean[:, o.src_y:o.src_y + o.size, o.src_x:o.src_x + o.size]
    frames = []
    for i, (m, nz) in enumerate(zip(p.motions, p.noise)):
        f = warp(clean, m)
        if o is not None:
            oy = min(h - o.size, max(0, int(round(o.y + i * o.step_y))))
            ox = min(w - o.size, int(round(o.x + i * o.step_x)))
            f = f.clone()
            f[:, oy:oy + o.size, ox:ox + o.size] = patch
        if p.scale > 1:
            f = F.avg_pool2d(f[None], p.scale)[0]
        if isinstance(nz, GaussianNoiseParams):
            f = apply_gaussian_noise(f, nz).clamp(0, 1)
            if p.pattern is not None:
                f = mosaic(f, p.pattern)
        else:
            f = apply_camera_noise(f, nz)
        frames.append(f)
    target = clean.clone()
    if o is not None:
        target[:, o.y:o.y + o.size, o.x:o.x + o.size] = patch
    return Burst(torch.stack(frames), target, list(p.motions), None if o is None else (o.y, o.x, o.size))


def synth_burst(clean: torch.Tensor, n: int, gen: torch.Generator, scale: int = 1, max_shift: float = 4.0,
                max_angle: float = 1.0, sigma: Optional[float] = None, camera: bool = False,
                pattern: Optional[str] = None, moving_object: bool = False) -> Burst:
    """A burst of ``n`` frames of a clean 3×H×W image in [0, 1]: :func:`sample_burst` then :func:`apply_burst`."""
    return apply_burst(clean, sample_burst(gen, clean.shape, n, scale, max_shift, max_angle, sigma, camera, pattern,
                                           moving_object, clean.dtype))


@dataclass(frozen=True)
class HandheldBurst(Op):
    """A clean 3×H×W image → the N×C×h×w frames of a handheld burst of it. ``sigma`` (8-bit units): a number or
    a uniform (lo, hi) range; ``moving``: the probability of a moving object. Its params are :class:`BurstParams`;
    :func:`apply_burst` with them also gives the target and the motions."""
    frames: int = 8
    scale: int = 1
    sigma: object = (5.0, 50.0)
    moving: float = 0.5
    camera: bool = False
    pattern: Optional[str] = None
    max_shift: float = 4.0
    max_angle: float = 1.0

    def sample(self, generator, x) -> BurstParams:
        sigma = float(draw(generator, self.sigma))
        moving = coin(generator, self.moving)
        return sample_burst(generator, x.shape, self.frames, self.scale, self.max_shift, self.max_angle, sigma,
                            self.camera, self.pattern, moving, x.dtype)

    def apply(self, x, params: BurstParams):
        return apply_burst(x, params).frames
