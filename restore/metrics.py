"""Quality metrics following the field's conventions (pure torch functions on 0–255 float tensors)."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

__all__ = ["rgb_to_y", "psnr", "ssim", "psnr_y", "ssim_y", "shave"]


def rgb_to_y(rgb: torch.Tensor) -> torch.Tensor:
    """MATLAB ``rgb2ycbcr`` luma for RGB in 0–255: Y = 16 + (65.481 R + 128.553 G + 24.966 B)/255."""
    w = torch.tensor([65.481, 128.553, 24.966], dtype=rgb.dtype, device=rgb.device) / 255.0
    return 16.0 + torch.einsum("...chw,c->...hw", rgb, w).unsqueeze(-3)


def shave(x: torch.Tensor, border: int) -> torch.Tensor:
    return x[..., border:x.shape[-2] - border, border:x.shape[-1] - border] if border else x


def psnr(a: torch.Tensor, b: torch.Tensor, peak: float = 255.0, border: int = 0) -> float:
    """PSNR in dB between two images of the same shape (values 0..peak)."""
    mse = (shave(a, border).double() - shave(b, border).double()).pow(2).mean().item()
    return float("inf") if mse == 0 else 10 * math.log10(peak * peak / mse)


def _gaussian_window(size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    g = torch.exp(-((torch.arange(size, dtype=torch.float64) - size // 2) ** 2) / (2 * sigma * sigma))
    g = g / g.sum()
    return (g[:, None] * g[None, :])[None, None]


def ssim(a: torch.Tensor, b: torch.Tensor, peak: float = 255.0, border: int = 0) -> float:
    """Mean SSIM (Wang et al. 2004: 11×11 Gaussian σ=1.5, valid region), averaged over channels."""
    a, b = shave(a, border).double(), shave(b, border).double()
    a, b = a.reshape(-1, 1, *a.shape[-2:]), b.reshape(-1, 1, *b.shape[-2:])
    w = _gaussian_window()
    c1, c2 = (0.01 * peak) ** 2, (0.03 * peak) ** 2
    mu_a, mu_b = F.conv2d(a, w), F.conv2d(b, w)
    saa = F.conv2d(a * a, w) - mu_a ** 2
    sbb = F.conv2d(b * b, w) - mu_b ** 2
    sab = F.conv2d(a * b, w) - mu_a * mu_b
    m = ((2 * mu_a * mu_b + c1) * (2 * sab + c2)) / ((mu_a ** 2 + mu_b ** 2 + c1) * (saa + sbb + c2))
    return m.mean().item()


def psnr_y(sr: torch.Tensor, hr: torch.Tensor, border: int) -> float:
    """PSNR on the rounded MATLAB Y channel with ``border`` pixels cropped (SR convention); inputs RGB 0–255."""
    return psnr(rgb_to_y(sr).round(), rgb_to_y(hr).round(), border=border)


def ssim_y(sr: torch.Tensor, hr: torch.Tensor, border: int) -> float:
    """SSIM on the rounded MATLAB Y channel with ``border`` pixels cropped."""
    return ssim(rgb_to_y(sr).round(), rgb_to_y(hr).round(), border=border)
