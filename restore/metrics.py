"""Quality metrics following the field's conventions (functions of 0–255 float tensors).

SSIM is scikit-image's; PSNR and the Y channel stay torch one-liners (skimage's need numpy and shave no border).
"""
from __future__ import annotations

import math

import torch

__all__ = ["rgb_to_y", "psnr", "ssim", "psnr_y", "ssim_y", "shave", "block_edges", "blocking_effect", "psnr_b", "ms_ssim", "bpp",
           "bd_rate"]


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


def ssim(a: torch.Tensor, b: torch.Tensor, peak: float = 255.0, border: int = 0) -> float:
    """Mean SSIM (Wang et al. 2004: 11×11 Gaussian σ=1.5, valid region), averaged over channels: scikit-image's
    ``structural_similarity`` with the paper's settings on each H×W plane of ``a`` and ``b`` (any leading dims)."""
    from skimage.metrics import structural_similarity     # here: it loads scipy.ndimage (0.3 s)

    a, b = shave(a, border).detach().cpu().double(), shave(b, border).detach().cpu().double()
    a, b = a.reshape(-1, *a.shape[-2:]).numpy(), b.reshape(-1, *b.shape[-2:]).numpy()
    return float(sum(structural_similarity(x, y, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                           data_range=peak) for x, y in zip(a, b)) / len(a))


def block_edges(n: int, block: int = 8) -> torch.Tensor:
    """Which of the n − 1 neighbouring pixel pairs along a side of ``n`` pixels straddle a ``block`` grid line (pixels
    8k − 1 and 8k for JPEG's 8×8 grid starting at 0)."""
    edge = torch.zeros(n - 1, dtype=torch.bool)
    edge[block - 1::block] = True
    return edge


def blocking_effect(x: torch.Tensor, block: int = 8) -> torch.Tensor:
    """Yim & Bovik's blocking effect factor per plane of …×H×W (values 0–1): how much more neighbouring pixels
    differ across ``block`` boundaries than inside blocks, scaled by log2(block) / log2(min(H, W)); 0 when they do
    not differ more."""
    x = x.double().reshape(-1, *x.shape[-2:])
    h, w = x.shape[-2:]
    dh = (x[..., :, :-1] - x[..., :, 1:]).pow(2)         # across columns
    dv = (x[..., :-1, :] - x[..., 1:, :]).pow(2)         # across rows
    eh, ev = block_edges(w, block), block_edges(h, block)
    nh_edge, nv_edge = int(eh.sum()), int(ev.sum())
    nh_in, nv_in = w - 1 - nh_edge, h - 1 - nv_edge
    at_edges = (dh[..., eh].sum((-2, -1)) + dv[..., ev, :].sum((-2, -1))) / (h * nh_edge + w * nv_edge)
    inside = (dh[..., ~eh].sum((-2, -1)) + dv[..., ~ev, :].sum((-2, -1))) / (h * nh_in + w * nv_in)
    scale = math.log2(block) / math.log2(min(h, w))
    return torch.clamp(scale * (at_edges - inside), min=0)


def psnr_b(test: torch.Tensor, ref: torch.Tensor, peak: float = 255.0) -> float:
    """PSNR-B (Yim & Bovik 2011), the JPEG-artefact papers' third metric: PSNR with the blocking effect factor of
    ``test`` added to its MSE, per channel and then averaged (as FBCNN's and QGAC's code does)."""
    t, r = test.double() / peak, ref.double() / peak
    mse = (t - r).pow(2).reshape(-1, *t.shape[-2:]).mean((-2, -1))
    total = mse + blocking_effect(t)
    return float(sum(10 * math.log10(1 / v) if v > 0 else float("inf") for v in total.tolist()) / len(total))


def psnr_y(sr: torch.Tensor, hr: torch.Tensor, border: int) -> float:
    """PSNR on the rounded MATLAB Y channel with ``border`` pixels cropped (SR convention); inputs RGB 0–255."""
    return psnr(rgb_to_y(sr).round(), rgb_to_y(hr).round(), border=border)


def ssim_y(sr: torch.Tensor, hr: torch.Tensor, border: int) -> float:
    """SSIM on the rounded MATLAB Y channel with ``border`` pixels cropped."""
    return ssim(rgb_to_y(sr).round(), rgb_to_y(hr).round(), border=border)


def ms_ssim(a: torch.Tensor, b: torch.Tensor, peak: float = 255.0) -> float:
    """Multi-scale SSIM (Wang et al. 2003, five scales, the standard weights) of two C×H×W images, via
    pytorch_msssim (a compressai dependency); images need sides above 160 pixels."""
    from pytorch_msssim import ms_ssim as _ms_ssim

    return float(_ms_ssim(a.double()[None], b.double()[None], data_range=peak))


def bpp(num_bytes: int, height: int, width: int) -> float:
    """Bits per pixel of a file of ``num_bytes`` for an image of ``height`` × ``width``."""
    return 8.0 * num_bytes / (height * width)


def bd_rate(rate_ref: list, dist_ref: list, rate_test: list, dist_test: list) -> float:
    """Bjøntegaard delta rate (%) of the test curve against the reference: PCHIP interpolation of log-rate
    over distortion (PSNR or MS-SSIM dB), averaged over the overlapping range. Negative: the test codec needs
    fewer bits for the same quality. NaN when the curves do not overlap."""
    import numpy as np
    from scipy.interpolate import PchipInterpolator

    def curve(r, d):
        d, lr = np.asarray(d, dtype=np.float64), np.log(np.asarray(r, dtype=np.float64))
        order = np.argsort(d)
        d, lr = d[order], lr[order]
        keep = np.concatenate([[True], np.diff(d) > 1e-9])
        return PchipInterpolator(d[keep], lr[keep]), d[keep][0], d[keep][-1]

    f_ref, lo_ref, hi_ref = curve(rate_ref, dist_ref)
    f_test, lo_test, hi_test = curve(rate_test, dist_test)
    lo, hi = max(lo_ref, lo_test), min(hi_ref, hi_test)
    if hi <= lo:
        return float("nan")
    grid = np.linspace(lo, hi, 201)
    integrate = getattr(np, "trapezoid", None) or np.trapz      # numpy 2 renamed trapz
    diff = integrate(f_test(grid) - f_ref(grid), grid) / (hi - lo)
    return float((math.exp(diff) - 1) * 100)
