"""Classical methods the learned tasks are measured against (and usable on their own).

- :func:`dark_channel_dehaze`: He, Sun and Tang's dark channel prior (CVPR 2009), with the guided-filter
  refinement of the transmission (He et al. 2010) in place of soft matting.
- :func:`align_and_merge`: OpenCV ECC alignment (Euclidean motion) of every burst frame to the first, then a
  robust weighted mean that gives little weight to pixels that disagree with the reference (moving objects).
- :func:`suppress_reflection`: Yang, Gong, Cui and Tsin's fast convex reflection suppression (CVPR 2019): keep
  the image's strong gradients (the sharp transmission layer), drop the weak ones (the blurred reflection), and
  solve for the image whose Laplacian matches, in closed form with the DCT.
- :func:`estimate_noise_sigma`: Immerkær's fast noise estimate, for methods that need a σ.
"""
from __future__ import annotations

from typing import Iterable, Iterator

import numpy as np

__all__ = ["box_filter", "guided_filter", "dark_channel", "dark_channel_dehaze", "estimate_noise_sigma",
           "suppress_reflection", "iter_ecc_align", "ecc_align", "align_and_merge"]


def box_filter(x: np.ndarray, r: int) -> np.ndarray:
    """Mean over a (2r+1)² window (borders: the mean of the part inside the image)."""
    import cv2

    return cv2.boxFilter(x.astype(np.float64), -1, (2 * r + 1, 2 * r + 1), normalize=True,
                         borderType=cv2.BORDER_REFLECT)


def guided_filter(guide: np.ndarray, src: np.ndarray, r: int, eps: float) -> np.ndarray:
    """Edge-preserving smoothing of ``src`` (H×W) following the gray ``guide`` (H×W), radius ``r``."""
    mg, ms = box_filter(guide, r), box_filter(src, r)
    a = (box_filter(guide * src, r) - mg * ms) / (box_filter(guide * guide, r) - mg * mg + eps)
    b = ms - a * mg
    return box_filter(a, r) * guide + box_filter(b, r)


def dark_channel(img: np.ndarray, patch: int = 15) -> np.ndarray:
    """Per-pixel minimum over the colour channels and a ``patch``² window (H×W×3 float → H×W)."""
    import cv2

    k = cv2.getStructuringElement(cv2.MORPH_RECT, (patch, patch))
    return cv2.erode(img.min(axis=2).astype(np.float64), k, borderType=cv2.BORDER_REFLECT)


def dark_channel_dehaze(img: np.ndarray, patch: int = 15, omega: float = 0.95, t0: float = 0.1,
                        radius: int = 40, eps: float = 1e-3) -> np.ndarray:
    """Dehaze an H×W×3 float image in [0, 1]; returns the scene radiance estimate in [0, 1]."""
    img = img.astype(np.float64)
    dark = dark_channel(img, patch)
    n = max(1, dark.size // 1000)                               # the haziest 0.1 % of pixels
    idx = np.argsort(dark.ravel())[-n:]
    flat = img.reshape(-1, 3)[idx]
    airlight = flat[np.argmax(flat.sum(1))].clip(1e-3, 1.0)     # the brightest of them
    t = 1.0 - omega * dark_channel(img / airlight, patch)
    t = guided_filter(img.mean(axis=2), t, radius, eps)
    out = (img - airlight) / np.maximum(t, t0)[..., None] + airlight
    return out.clip(0.0, 1.0)


def suppress_reflection(img: np.ndarray, threshold: float = 0.03, eps: float = 1e-8) -> np.ndarray:
    """Reflection-suppressed H×W×3 float image in [0, 1]: argmin_T ½‖ΔT − div(δ_h ∇Y)‖² + ε/2‖T − Y‖², where
    δ_h zeroes gradients whose magnitude (over the channels) is below ``threshold``. Neumann borders, so the
    5-point Laplacian is diagonal in the DCT-II basis and the minimiser is one division per coefficient."""
    from scipy.fft import dctn, idctn

    y = img.astype(np.float64)
    gx = np.zeros_like(y)
    gy = np.zeros_like(y)
    gx[:, :-1] = y[:, 1:] - y[:, :-1]
    gy[:-1] = y[1:] - y[:-1]
    keep = np.sqrt((gx ** 2 + gy ** 2).sum(axis=2, keepdims=True)) >= threshold
    gx, gy = gx * keep, gy * keep
    div = gx.copy()                                       # backward differences of the kept gradients
    div[:, 1:] -= gx[:, :-1]
    div += gy
    div[1:] -= gy[:-1]
    h, w = y.shape[:2]
    kappa = (2 * np.cos(np.pi * np.arange(h) / h)[:, None] + 2 * np.cos(np.pi * np.arange(w) / w)[None] - 4)
    kappa = kappa[..., None]
    t = (kappa * dctn(div, type=2, axes=(0, 1), norm="ortho") + eps * dctn(y, type=2, axes=(0, 1), norm="ortho"))
    t = t / (kappa ** 2 + eps)
    return idctn(t, type=2, axes=(0, 1), norm="ortho").clip(0.0, 1.0)


def estimate_noise_sigma(gray: np.ndarray) -> float:
    """Gaussian noise σ of an H×W image (in its own units) by Immerkær's Laplacian-difference operator."""
    from scipy.signal import convolve2d

    k = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float64)
    h, w = gray.shape
    conv = np.abs(convolve2d(gray.astype(np.float64), k, mode="valid"))
    return float(conv.sum() * np.sqrt(0.5 * np.pi) / (6.0 * (w - 2) * (h - 2)))


def iter_ecc_align(frames: Iterable[np.ndarray], iterations: int = 100) -> Iterator[np.ndarray]:
    """Every H×W×3 float frame warped onto the first by OpenCV's ECC (Euclidean motion, estimated on
    noise-suppressed gray copies), one at a time, so a burst of large frames needs one extra copy at most;
    frames ECC cannot align are skipped. The first frame is yielded as is."""
    import cv2

    smooth = lambda f: cv2.GaussianBlur(cv2.cvtColor(f, cv2.COLOR_RGB2GRAY), (0, 0), 1.5)  # noqa: E731
    it = iter(frames)
    try:
        first = next(it)
    except StopIteration:
        raise ValueError("a burst needs at least one frame") from None
    h, w = first.shape[:2]
    ref_s = smooth(np.ascontiguousarray(first, dtype=np.float32))
    yield first
    for f in it:
        f = np.ascontiguousarray(f, dtype=np.float32)
        m = np.eye(2, 3, dtype=np.float32)
        try:
            _, m = cv2.findTransformECC(ref_s, smooth(f), m, cv2.MOTION_EUCLIDEAN,
                                        (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, iterations, 1e-6), None, 5)
        except cv2.error:
            continue
        yield cv2.warpAffine(f, m, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                             borderMode=cv2.BORDER_REFLECT_101)


def ecc_align(frames: list[np.ndarray], iterations: int = 100) -> list[np.ndarray]:
    """:func:`iter_ecc_align` as a list."""
    return list(iter_ecc_align(frames, iterations))


def align_and_merge(frames: list[np.ndarray], sigma: float | None = None, reject: float = 2.5,
                    iterations: int = 100) -> np.ndarray:
    """Merge H×W×3 float frames in [0, 1] onto the first: ECC alignment, then a robust mean.

    Each aligned frame's pixel gets weight ``exp(-d² / (2 (reject·σ√2)²))`` where ``d`` is its difference from
    the reference, so noise averages out while moving objects (large ``d``) keep the reference's content.
    """
    import cv2

    aligned = ecc_align(frames, iterations)
    ref = aligned[0].astype(np.float64)
    if sigma is None:
        sigma = estimate_noise_sigma(cv2.cvtColor(aligned[0].astype(np.float32), cv2.COLOR_RGB2GRAY))
    spread = 2 * (reject * max(sigma, 1e-3) * np.sqrt(2)) ** 2
    acc, wsum = ref.copy(), np.ones(ref.shape[:2] + (1,))
    for f in aligned[1:]:
        f = f.astype(np.float64)
        wt = np.exp(-((f - ref) ** 2).mean(axis=2, keepdims=True) / spread)
        acc += wt * f
        wsum += wt
    return (acc / wsum).clip(0.0, 1.0)
