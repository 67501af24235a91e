"""Camera noise as a camera makes it: sRGB → raw Bayer → sensor noise → a randomly built ISP → (JPEG).

After Brooks et al., "Unprocessing Images for Learned Raw Denoising" (2019) and Guo et al.'s CBDNet (2019). A
clean sRGB crop is *unprocessed* to linear raw (inverse tone curve, inverse sRGB gamma, inverse colour matrix,
inverse brightness and white balance, Bayer mosaic), gets heteroscedastic Poisson-Gaussian noise with shot and
read levels on the log-linear relation measured for real sensors (:func:`restore.degrade.camera.sample_camera`),
sometimes row (banding) noise, and is *processed* back by an ISP drawn at random: white balance, a classical
demosaic (OpenCV bilinear or edge-aware), colour matrix, gamma, tone curve, sometimes the chroma noise reduction
and sharpening of a phone, 8-bit rounding, and JPEG for part of the samples. Demosaicing is what makes the noise
correlated between neighbouring pixels and between channels; a per-pixel model of noise has neither.

:func:`unprocess` alone gives the raw stage (a noisy or clean Bayer mosaic and the camera that made it), which a
raw burst trainer can use the same way: draw one :class:`IspParams`, mosaic every frame with :func:`raw_noise`, and
run :func:`process` on the fused result.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional

import torch

from restore.degrade.bayer import PATTERNS, mosaic
from restore.degrade.blur import gaussian_blur
from restore.degrade.camera import CameraParams, sample_camera, wb_gains
from restore.degrade.color import linear_to_srgb, srgb_to_linear
from restore.degrade.compose import Op, coin, uniform
from restore.degrade.jpeg import JpegParams, apply_jpeg, sample_jpeg

__all__ = ["DEMOSAICS", "IspParams", "sample_isp", "tone_curve", "inverse_tone_curve", "unprocess", "raw_noise",
           "demosaic_classical", "process", "apply_isp", "noiseless", "clean_render", "CameraPipeline"]

DEMOSAICS = ("bilinear", "edge-aware")
# OpenCV names a Bayer layout by the second row, so RGGB is its "BG"
_CV_CODES = {"RGGB": "BG", "BGGR": "RG", "GRBG": "GB", "GBRG": "GR"}


@dataclass(frozen=True, eq=False)
class IspParams:
    """One camera, one exposure and one ISP, with the noise draws (so :func:`apply_isp` is pure)."""
    camera: CameraParams                 # shot/read noise, white balance, colour matrix
    brightness: float = 1.0              # exposure gain the ISP applies (unprocessing divides by it)
    tone: bool = True                    # a global S-shaped tone curve after gamma
    pattern: str = "RGGB"
    demosaic: str = "bilinear"           # one of DEMOSAICS
    row_sd: float = 0.0                  # banding: σ of a per-row offset in raw (linear, 0-1)
    chroma_nr: float = 0.0               # σ (pixels) of the blur of the chroma planes (phone noise reduction)
    sharpen: float = 0.0                 # unsharp-mask amount
    jpeg: Optional[JpegParams] = None    # stored as a JPEG of this quality, or None
    noise: Optional[torch.Tensor] = None     # N(0, 1) draws, 1×H×W (the mosaic's shape); None: no noise
    rows: Optional[torch.Tensor] = None      # N(0, 1) draws, one per row


def sample_isp(generator: Optional[torch.Generator], height: int, width: int, max_shot: float = 0.012,
               min_shot: float = 3e-5, row_prob: float = 0.2, nr_prob: float = 0.3, sharpen_prob: float = 0.3,
               jpeg_prob: float = 0.6, jpeg_quality: tuple[int, int] = (70, 98)) -> IspParams:
    """A random camera (:func:`sample_camera`: shot log-uniform in [``min_shot``, ``max_shot``], read on its
    log-linear line; ``min_shot`` reaches below the paper's 1e-4 for the well-lit photos of good cameras),
    brightness gain N(0.8, 0.1)⁻¹ as in Brooks et al., tone curve half the time, a random Bayer layout and
    demosaic; ``row_prob`` of the time banding at 10-50 % of the read noise, ``nr_prob`` chroma noise reduction,
    ``sharpen_prob`` sharpening, ``jpeg_prob`` a JPEG of quality in ``jpeg_quality`` (4:2:0 mostly, 4:2:2 or
    4:4:4 sometimes, as cameras write)."""
    cam = sample_camera(generator, max_shot, min_shot)
    brightness = 1.0 / min(max(0.8 + 0.1 * float(torch.randn(1, generator=generator)), 0.5), 1.1)
    tone = coin(generator, 0.5)
    pattern = PATTERNS[int(torch.randint(0, len(PATTERNS), (1,), generator=generator))]
    demosaic = DEMOSAICS[int(torch.randint(0, len(DEMOSAICS), (1,), generator=generator))]
    row_sd = cam.read * uniform(generator, 0.1, 0.5) if coin(generator, row_prob) else 0.0
    chroma_nr = uniform(generator, 0.5, 2.0) if coin(generator, nr_prob) else 0.0
    sharpen = uniform(generator, 0.2, 1.0) if coin(generator, sharpen_prob) else 0.0
    jpeg = sample_jpeg(generator, *jpeg_quality, chroma=(0.15, 0.25, 0.6)) if coin(generator, jpeg_prob) else None
    noise = torch.randn(1, height, width, generator=generator)
    rows = torch.randn(height, generator=generator)
    return IspParams(cam, brightness, tone, pattern, demosaic, row_sd, chroma_nr, sharpen, jpeg, noise, rows)


def tone_curve(x: torch.Tensor) -> torch.Tensor:
    """The smoothstep S-curve Brooks et al. fit to camera tone curves: 3x² − 2x³."""
    x = x.clamp(0, 1)
    return 3 * x ** 2 - 2 * x ** 3


def inverse_tone_curve(y: torch.Tensor) -> torch.Tensor:
    """The inverse of :func:`tone_curve` on [0, 1]: 1/2 − sin(asin(1 − 2y) / 3)."""
    return 0.5 - torch.sin(torch.asin((1 - 2 * y.clamp(0, 1)).clamp(-1, 1)) / 3)


def _gains(p: IspParams, dtype: torch.dtype) -> torch.Tensor:
    """3×1×1: white balance times brightness, what the ISP multiplies camera RGB by."""
    return wb_gains(p.camera, dtype) * p.brightness


def _ccm(p: IspParams, dtype: torch.dtype) -> torch.Tensor:
    return torch.tensor(p.camera.cam_to_rgb, dtype=dtype)


def unprocess(rgb: torch.Tensor, p: IspParams, bayer: bool = True) -> torch.Tensor:
    """sRGB 3×H×W in [0, 1] → linear raw: the Bayer mosaic 1×H×W (or, with ``bayer`` False, the camera RGB)."""
    lin = srgb_to_linear(inverse_tone_curve(rgb) if p.tone else rgb)
    cam = torch.einsum("ij,jhw->ihw", torch.linalg.inv(_ccm(p, rgb.dtype)), lin)
    cam = (cam / _gains(p, rgb.dtype)).clamp(0, 1)
    return mosaic(cam, p.pattern) if bayer else cam


def raw_noise(raw: torch.Tensor, p: IspParams) -> torch.Tensor:
    """The sensor: Poisson-Gaussian noise (variance shot·x + read²) and optional row offsets on a linear raw
    mosaic 1×H×W; clipped at the white level only (below black a sensor reads negative values)."""
    if p.noise is None:
        return raw
    c = p.camera
    sd = (c.shot * raw.clamp_min(0) + c.read ** 2).sqrt()
    out = raw + sd * p.noise.to(raw.dtype)
    if p.row_sd > 0:
        out = out + p.row_sd * p.rows.to(raw.dtype).view(1, -1, 1)
    return out.clamp(max=1.0)


def demosaic_classical(raw: torch.Tensor, pattern: str, method: str = "bilinear") -> torch.Tensor:
    """A 1×H×W mosaic in [0, 1] → 3×H×W by OpenCV's bilinear or edge-aware demosaic, at 16 bits."""
    import cv2
    import numpy as np

    code = getattr(cv2, f"COLOR_Bayer{_CV_CODES[pattern]}2RGB" + ("_EA" if method == "edge-aware" else ""))
    u16 = (raw[0].clamp(0, 1) * 65535).round().to(torch.int32).numpy().astype(np.uint16)
    out = cv2.cvtColor(u16, code).astype(np.float32) / 65535
    return torch.from_numpy(out).permute(2, 0, 1).to(raw.dtype)


def _chroma_blur(rgb: torch.Tensor, sigma: float) -> torch.Tensor:
    """Blur what is not luminance: rgb = Y + (rgb − Y), the second part blurred."""
    y = (rgb * torch.tensor([0.299, 0.587, 0.114], dtype=rgb.dtype).view(3, 1, 1)).sum(0, keepdim=True)
    return y + gaussian_blur((rgb - y)[None], sigma)[0]


def _sharpen(rgb: torch.Tensor, amount: float) -> torch.Tensor:
    return rgb + amount * (rgb - gaussian_blur(rgb[None], 1.0)[0])


def process(raw: torch.Tensor, p: IspParams) -> torch.Tensor:
    """The ISP: linear raw (a 1×H×W mosaic, or 3×H×W camera RGB) → sRGB 3×H×W in [0, 1], before any JPEG."""
    if raw.shape[0] == 1:
        wb = mosaic(_gains(p, raw.dtype).expand(3, *raw.shape[-2:]), p.pattern)
        cam = demosaic_classical(raw.clamp_min(0) * wb, p.pattern, p.demosaic)
    else:
        cam = (raw * _gains(p, raw.dtype)).clamp(0, 1)
    lin = torch.einsum("ij,jhw->ihw", _ccm(p, raw.dtype), cam).clamp(0, 1)
    rgb = linear_to_srgb(lin)
    rgb = tone_curve(rgb) if p.tone else rgb
    if p.chroma_nr > 0:
        rgb = _chroma_blur(rgb, p.chroma_nr)
    if p.sharpen > 0:
        rgb = _sharpen(rgb, p.sharpen)
    return rgb.clamp(0, 1)


def apply_isp(rgb: torch.Tensor, p: IspParams) -> torch.Tensor:
    """The whole camera: unprocess, mosaic, sensor noise, ISP, 8-bit rounding, JPEG when drawn."""
    out = process(raw_noise(unprocess(rgb, p), p), p)
    out = (out * 255).round() / 255
    return apply_jpeg(out, p.jpeg) if p.jpeg is not None else out


@dataclass(frozen=True)
class CameraPipeline(Op):
    """:func:`apply_isp` as an op (a gray one-plane crop is seen as three equal channels). ``max_shot`` bounds
    the noise; the probabilities are those of :func:`sample_isp`."""
    max_shot: float = 0.012
    min_shot: float = 3e-5
    jpeg_prob: float = 0.6
    nr_prob: float = 0.3
    sharpen_prob: float = 0.3

    def sample(self, generator, x) -> IspParams:
        return sample_isp(generator, *x.shape[-2:], max_shot=self.max_shot, min_shot=self.min_shot,
                          jpeg_prob=self.jpeg_prob, nr_prob=self.nr_prob, sharpen_prob=self.sharpen_prob)

    def apply(self, x, params: IspParams):
        return _like(x, apply_isp(x.expand(3, *x.shape[-2:]), params))

    def reference(self, x: torch.Tensor, params: IspParams) -> torch.Tensor:
        """The target a denoiser should learn for this sample: :func:`clean_render` of ``x``."""
        return _like(x, clean_render(x.expand(3, *x.shape[-2:]), params))


def _like(x: torch.Tensor, rgb: torch.Tensor) -> torch.Tensor:
    """Back to one plane when the input was one (gray crops go through the camera as three equal channels)."""
    return rgb.mean(0, keepdim=True) if x.shape[0] == 1 else rgb


def noiseless(p: IspParams) -> IspParams:
    """The same camera and ISP without sensor noise (the reference a camera would make of a static scene)."""
    return replace(p, noise=None, row_sd=0.0)


def clean_render(rgb: torch.Tensor, p: IspParams) -> torch.Tensor:
    """What the same camera and ISP make of the scene without sensor noise and without JPEG, in 8 bits.

    This is what a real noisy/clean pair's clean image is (PolyU and SIDD average hundreds of frames of one
    camera, so demosaicking, tone, chroma smoothing and sharpening are in it and the noise is not); training on
    the crop before the ISP instead teaches a denoiser to undo the camera's rendering too.
    """
    out = process(unprocess(rgb, p), noiseless(p))
    return (out * 255).round() / 255
