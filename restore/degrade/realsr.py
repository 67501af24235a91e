"""The LR images of real photos for super-resolution training: Real-ESRGAN's second-order degradation model
(blur by a random kernel, resize by a random resampler, Gaussian, Poisson-Gaussian or camera noise, JPEG, a
final sinc filter; the whole chain twice for part of the samples), with milder ranges since the goal is
fidelity, mixed with a share of clean MATLAB-bicubic samples.

:class:`RealDown` is one op: given an HR image it builds the chain for that size (the LR size is HR / scale) and
runs it with one generator, so its params replay exactly like any other op's.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch

from restore.degrade.compose import Clip, OneOf, Op, Sequence, maybe
from restore.degrade.isp import CameraPipeline
from restore.degrade.jpeg import Jpeg
from restore.degrade.kernels import KernelBlur, Sinc
from restore.degrade.noise import GaussianNoise, PoissonGaussian
from restore.degrade.resize import RandomResize

__all__ = ["Quantize", "sensor_noise", "real_sr_chain", "RealDown"]


class Quantize(Op):
    """Rounded to 8 bits and clipped, as a saved file is (no randomness)."""

    def apply(self, x: torch.Tensor, params=None) -> torch.Tensor:
        return x.clamp(0, 1).mul(255).round().div(255)


def sensor_noise(strength: float = 1.0) -> OneOf:
    """Gaussian noise (σ up to 20/255 × strength; 40 % luminance-only), Poisson-Gaussian (shot and read), or a
    camera's (:class:`~restore.degrade.isp.CameraPipeline`: raw Bayer noise through a random demosaic and ISP,
    shot up to 0.004 × strength; the chain's own JPEG follows)."""
    return OneOf((GaussianNoise((1 / 255, 20 / 255 * strength), gray=0.4),
                  PoissonGaussian((0.0, 0.01 * strength), (0.0, 5 / 255 * strength)),
                  CameraPipeline(max_shot=0.004 * strength, jpeg_prob=0.0)), (0.35, 0.35, 0.3))


def real_sr_chain(h: int, w: int, scale: int, clean: float = 0.2, second_order: float = 0.4, blur: float = 0.7,
                  noise: float = 0.5, jpeg: float = 0.8, sinc: float = 0.2) -> OneOf:
    """The op chain for one HR image of h×w (multiples of ``scale``): clean bicubic ``clean`` of the time; else
    first order (blur σ ≤ 0.75·scale HR pixels, resize to the LR size, noise, sinc, JPEG q30-95) or, ``second_order``
    of the time, a first pass to 1-2× the LR size and a second, milder one down to it."""
    lh, lw = h // scale, w // scale
    to_lr = RandomResize(lh, lw)
    blur1 = maybe(KernelBlur((0.2, 0.75 * scale)), blur)
    tail = Sequence(maybe(Sinc(), sinc), maybe(Jpeg(30, 95), jpeg), Quantize())
    first = Sequence(blur1, to_lr, maybe(sensor_noise(), noise), tail)
    second = Sequence(blur1, RandomResize(lh, lw, 1.0, 2.0), maybe(sensor_noise(), noise),
                      maybe(Jpeg(30, 95), jpeg), Clip(), maybe(KernelBlur((0.2, 1.5)), blur), to_lr,
                      maybe(sensor_noise(0.5), noise), tail)
    plain = Sequence(RandomResize(lh, lw, modes=("matlab",)), Quantize())
    rest = 1.0 - clean
    return OneOf((plain, first, second), (clean, rest * (1 - second_order), rest * second_order))


@dataclass(frozen=True)
class RealDown(Op):
    """HR (C×H×W in [0, 1], sides multiples of ``scale``) → a realistic LR of (H/scale)×(W/scale); see
    :func:`real_sr_chain` for the fields."""
    scale: int
    clean: float = 0.2
    second_order: float = 0.4
    blur: float = 0.7
    noise: float = 0.5
    jpeg: float = 0.8
    sinc: float = 0.2

    def chain(self, x: torch.Tensor) -> OneOf:
        h, w = x.shape[-2:]
        return real_sr_chain(h, w, self.scale, self.clean, self.second_order, self.blur, self.noise, self.jpeg,
                             self.sinc)

    def run(self, x: torch.Tensor, generator: Optional[torch.Generator] = None):
        return self.chain(x).run(x, generator)

    def apply(self, x: torch.Tensor, params) -> torch.Tensor:
        return self.chain(x).apply(x, params)
