"""Blur kernels of real optics and resamplers, as Real-ESRGAN's degradation model draws them: isotropic and
anisotropic (rotated) Gaussians, generalised Gaussians (sharper or flatter peaks, β), plateau kernels (a flat top
with soft fall-off), and the 2-D sinc (jinc-like) filter that leaves the ringing of sharpening and
band-limiting. Kernels are odd-sided, normalised, and applied with reflect padding; sampling builds the kernel,
so applying is one convolution."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import torch

from restore.degrade.blur import filter2d
from restore.degrade.compose import Op, uniform

__all__ = ["KERNEL_KINDS", "gaussian_kernel", "generalized_kernel", "plateau_kernel", "sinc_kernel", "KernelParams",
           "sample_kernel", "sample_sinc", "apply_kernel", "KernelBlur", "Sinc"]

KERNEL_KINDS = ("iso", "aniso", "generalized", "plateau")


def _grid(size: int) -> tuple[torch.Tensor, torch.Tensor]:
    r = size // 2
    ax = torch.arange(-r, r + 1, dtype=torch.float64)
    return torch.meshgrid(ax, ax, indexing="ij")


def _quadratic(size: int, sx: float, sy: float, theta: float) -> torch.Tensor:
    """x' Σ⁻¹ x of a Gaussian with standard deviations ``sx``, ``sy`` rotated by ``theta`` (radians)."""
    yy, xx = _grid(size)
    c, s = math.cos(theta), math.sin(theta)
    u, v = c * xx + s * yy, -s * xx + c * yy
    return (u / sx) ** 2 + (v / sy) ** 2


def _normalised(k: torch.Tensor) -> torch.Tensor:
    return (k / k.sum()).float()


def gaussian_kernel(size: int, sx: float, sy: float, theta: float = 0.0) -> torch.Tensor:
    """A (rotated, anisotropic when sx ≠ sy) Gaussian."""
    return _normalised(torch.exp(-0.5 * _quadratic(size, sx, sy, theta)))


def generalized_kernel(size: int, sx: float, sy: float, theta: float, beta: float) -> torch.Tensor:
    """exp(−(x'Σ⁻¹x)^β / 2): β < 1 a sharper peak with heavy tails, β > 1 flatter (β = 1 is Gaussian)."""
    return _normalised(torch.exp(-0.5 * _quadratic(size, sx, sy, theta) ** beta))


def plateau_kernel(size: int, sx: float, sy: float, theta: float, beta: float) -> torch.Tensor:
    """1 / (1 + (x'Σ⁻¹x)^β): a flat top and a soft, slowly falling edge."""
    return _normalised(1.0 / (1.0 + _quadratic(size, sx, sy, theta) ** beta))


def sinc_kernel(size: int, cutoff: float) -> torch.Tensor:
    """The circular low-pass filter of angular ``cutoff`` (radians per pixel, < π): J₁-based (jinc) 2-D sinc."""
    yy, xx = _grid(size)
    r = torch.sqrt(xx ** 2 + yy ** 2)
    k = cutoff * torch.special.bessel_j1(cutoff * r) / (2 * math.pi * r)
    k[size // 2, size // 2] = cutoff ** 2 / (4 * math.pi)
    return _normalised(k)


@dataclass(frozen=True, eq=False)
class KernelParams:
    kind: str                    # one of KERNEL_KINDS, or "sinc"
    kernel: torch.Tensor         # k×k, sums to 1


def sample_kernel(generator: Optional[torch.Generator], sigma: tuple[float, float] = (0.2, 3.0),
                  beta_generalized: tuple[float, float] = (0.5, 4.0), beta_plateau: tuple[float, float] = (1.0, 2.0),
                  probs: tuple[float, ...] = (0.45, 0.25, 0.15, 0.15), size: Optional[int] = None) -> KernelParams:
    """A blur kernel of a random kind (``probs`` over KERNEL_KINDS) with σ per axis in ``sigma`` (pixels) and a
    random rotation; its side (odd, default 2·⌈2.5σ_max⌉ + 1, at most 17: past that the tails hold under 1 %
    and the cost grows with the square) covers the kernel."""
    kind = KERNEL_KINDS[int(torch.multinomial(torch.tensor(probs, dtype=torch.float64), 1, generator=generator))]
    sx = uniform(generator, *sigma)
    sy = sx if kind == "iso" else uniform(generator, *sigma)
    theta = 0.0 if kind == "iso" else uniform(generator, 0.0, math.pi)
    side = size or min(17, 2 * math.ceil(2.5 * max(sx, sy)) + 1)
    if kind in ("iso", "aniso"):
        return KernelParams(kind, gaussian_kernel(side, sx, sy, theta))
    if kind == "generalized":
        return KernelParams(kind, generalized_kernel(side, sx, sy, theta, uniform(generator, *beta_generalized)))
    return KernelParams(kind, plateau_kernel(side, sx, sy, theta, uniform(generator, *beta_plateau)))


def sample_sinc(generator: Optional[torch.Generator], size: tuple[int, int] = (7, 21)) -> KernelParams:
    """A sinc filter of odd side in ``size`` with a cut-off between π/3 and π (smaller kernels cut higher, so the
    filter stays a filter and not a box)."""
    side = 2 * int(torch.randint(size[0] // 2, size[1] // 2 + 1, (1,), generator=generator)) + 1
    lo = math.pi / 3 if side >= 13 else math.pi / 2
    return KernelParams("sinc", sinc_kernel(side, uniform(generator, lo, math.pi)))


def apply_kernel(x: torch.Tensor, p: KernelParams) -> torch.Tensor:
    """…×C×H×W convolved with the kernel (reflect padding, cut to the image where it is smaller)."""
    return filter2d(x, p.kernel)


@dataclass(frozen=True)
class KernelBlur(Op):
    """Blur by a random kernel of :data:`KERNEL_KINDS` (see :func:`sample_kernel`)."""
    sigma: tuple[float, float] = (0.2, 3.0)

    def sample(self, generator, x) -> KernelParams:
        return sample_kernel(generator, self.sigma)

    def apply(self, x, params: KernelParams):
        return apply_kernel(x, params)


@dataclass(frozen=True)
class Sinc(Op):
    """Ringing and band-limiting by a random 2-D sinc filter (see :func:`sample_sinc`)."""

    def sample(self, generator, x) -> KernelParams:
        return sample_sinc(generator)

    def apply(self, x, params: KernelParams):
        return apply_kernel(x, params)
