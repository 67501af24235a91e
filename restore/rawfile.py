"""Camera RAW files (optional ``rawpy`` extra): the Bayer mosaic in, a developed sRGB image out.

:func:`read_raw` normalises the sensor data (black and white level), applies the camera's white balance to the
mosaic and returns it with its Bayer pattern and the camera→sRGB matrix; after demosaicing, :func:`develop`
applies that matrix and the sRGB gamma. Only the demosaicing step is learned; rawpy does no processing here.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Union

import numpy as np
import torch

from restore.degrade import check_pattern, linear_to_srgb
from restore.io import Image, ImageError

__all__ = ["RAW_EXTS", "RawMosaic", "normalise_mosaic", "read_raw", "develop"]

RAW_EXTS = {".dng", ".cr2", ".cr3", ".nef", ".arw", ".raf", ".orf", ".rw2", ".pef", ".srw"}

# sRGB (D65) → XYZ
_SRGB_TO_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750],
                         [0.0193339, 0.1191920, 0.9503041]])


@dataclass
class RawMosaic:
    """A white-balanced mosaic (1×H×W in [0, 1]), its pattern and the camera→linear-sRGB matrix."""
    image: Image
    pattern: str
    cam_to_srgb: np.ndarray


def normalise_mosaic(raw: np.ndarray, colors: np.ndarray, black: np.ndarray, white: float,
                     wb: np.ndarray) -> np.ndarray:
    """Sensor counts → white-balanced values in [0, 1]: per-site ``(raw - black[c]) / (white - black[c]) · wb[c]``
    where ``c = colors`` is each site's colour index; ``wb`` is normalised so green is 1."""
    black = np.asarray(black, np.float64)[colors]
    gains = np.asarray(wb, np.float64)[colors]
    out = (raw.astype(np.float64) - black) / np.maximum(white - black, 1.0) * gains
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def _pattern(colors: np.ndarray, color_desc: bytes) -> str:
    """The Bayer pattern read off the top-left 2×2 colour indexes of the visible area."""
    desc = color_desc.decode("ascii", "replace")
    letters = "".join(desc[int(i)] for i in np.asarray(colors)[:2, :2].flatten())
    try:
        return check_pattern(letters)
    except ValueError:
        raise ImageError(f"sensor layout {letters!r} is not a Bayer pattern this tool demosaics") from None


def read_raw(path: Union[str, Path]) -> RawMosaic:
    """Read a camera RAW file with rawpy (``pip install 'restore[raw]'``)."""
    try:
        import rawpy
    except ImportError:
        raise ImageError("reading RAW files needs rawpy: pip install 'restore[raw]'") from None
    path = Path(path)
    try:
        with rawpy.imread(str(path)) as r:
            raw = r.raw_image_visible.copy()
            colors = r.raw_colors_visible.copy()
            pattern = _pattern(colors, r.color_desc)
            black = np.array(r.black_level_per_channel, np.float64)
            wb = np.array(r.camera_whitebalance, np.float64)
            if not wb.any():
                wb = np.array(r.daylight_whitebalance, np.float64)
            if wb[3] == 0:
                wb[3] = wb[1]
            wb = wb / wb[1]
            xyz_to_cam = np.array(r.rgb_xyz_matrix, np.float64)[:3]
            white = float(r.white_level)
    except ImageError:
        raise
    except Exception as e:      # rawpy raises its own LibRaw error types
        raise ImageError(f"{path}: not a readable RAW file ({type(e).__name__})") from None
    h, w = raw.shape
    raw, colors = raw[: h - h % 2, : w - w % 2], colors[: h - h % 2, : w - w % 2]
    mos = normalise_mosaic(raw, colors, black, white, wb)
    if xyz_to_cam.any():
        srgb_to_cam = xyz_to_cam @ _SRGB_TO_XYZ
        srgb_to_cam /= srgb_to_cam.sum(1, keepdims=True)        # white stays white
        cam_to_srgb = np.linalg.inv(srgb_to_cam)
    else:
        cam_to_srgb = np.eye(3)
    img = Image(torch.from_numpy(mos)[None], bit_depth=16, meta={"path": str(path), "format": "RAW"})
    return RawMosaic(img, pattern, cam_to_srgb)


def develop(rgb: Image, cam_to_srgb: np.ndarray) -> Image:
    """Linear camera RGB (white-balanced) → sRGB: colour matrix, then the sRGB transfer curve; 16-bit."""
    m = torch.as_tensor(cam_to_srgb, dtype=torch.float32)
    lin = torch.einsum("ij,jhw->ihw", m, rgb.pixels)
    out = rgb.with_pixels(linear_to_srgb(lin), None)
    out.bit_depth = 16
    return out
