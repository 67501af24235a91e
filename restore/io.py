"""Image I/O that keeps what photographers care about: bit depth, alpha, ICC profile and EXIF.

``read_image`` returns an :class:`Image` (float32 C×H×W pixels in [0, 1], alpha separate, EXIF
orientation already applied); ``write_image`` writes it atomically (temporary file + rename), with
the EXIF orientation reset to 1 so viewers do not rotate the pixels twice.
"""
from __future__ import annotations

import io as _io
import os
import struct
import tempfile
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Optional, Union

import numpy as np
import torch

from restore.formats import READ_EXTS, WRITE_EXTS, ImageError, first_line
from restore.jpeg_tables import quality_from_tables

__all__ = ["Image", "ImageError", "first_line", "read_image", "write_image", "pil_to_array",
           "apply_orientation", "apply_orientation_image", "atomic_write_bytes", "READ_EXTS", "WRITE_EXTS"]

ORIENTATION_TAG = 0x0112


@dataclass
class Image:
    """Pixels (float32, C×H×W, C = 1 or 3, values in [0, 1]) plus what must survive a round trip."""

    pixels: torch.Tensor
    alpha: Optional[torch.Tensor] = None      # 1×H×W float32 in [0, 1]
    bit_depth: int = 8                        # 8 or 16
    icc: Optional[bytes] = None
    exif: Optional[bytes] = None              # raw EXIF block, orientation already reset to 1
    meta: dict = field(default_factory=dict)  # free-form (source path, format)

    @property
    def height(self) -> int:
        return int(self.pixels.shape[-2])

    @property
    def width(self) -> int:
        return int(self.pixels.shape[-1])

    @property
    def channels(self) -> int:
        return int(self.pixels.shape[0])

    def with_pixels(self, pixels: torch.Tensor, alpha: Optional[torch.Tensor] = None) -> "Image":
        """A copy carrying the same metadata around new pixels (and alpha)."""
        return replace(self, pixels=pixels, alpha=alpha, meta=dict(self.meta))

    def to_array(self) -> np.ndarray:
        """H×W×C array of the file's integer type (uint8 or uint16), alpha as the last channel."""
        planes = [self.pixels] if self.alpha is None else [self.pixels, self.alpha]
        peak = 65535 if self.bit_depth == 16 else 255
        out = np.empty((self.height, self.width, sum(p.shape[0] for p in planes)),
                       np.uint16 if self.bit_depth == 16 else np.uint8)
        rows = 256                          # converted in bands so a 50-MP image needs no float copies
        for y in range(0, self.height, rows):
            band = torch.cat([p[:, y:y + rows] for p in planes])
            out[y:y + rows] = band.clamp(0, 1).mul_(peak).round_().permute(1, 2, 0).numpy()
        return out

    @classmethod
    def from_array(cls, arr: np.ndarray, has_alpha: Optional[bool] = None, **meta) -> "Image":
        """From H×W or H×W×C uint8/uint16/float (float in [0, 1]); a 2nd or 4th channel is alpha."""
        a = np.asarray(arr)
        if a.ndim == 2:
            a = a[:, :, None]
        if a.ndim != 3 or a.shape[2] not in (1, 2, 3, 4):
            raise ImageError(f"expected an H×W or H×W×C array with 1-4 channels, got shape {a.shape}")
        if a.dtype == np.uint8:
            depth, x = 8, a.astype(np.float32) / 255
        elif a.dtype == np.uint16:
            depth, x = 16, a.astype(np.float32) / 65535
        elif np.issubdtype(a.dtype, np.floating):
            depth, x = 8, a.astype(np.float32)
        else:
            raise ImageError(f"unsupported pixel type {a.dtype}; use uint8, uint16 or float")
        if has_alpha is None:
            has_alpha = a.shape[2] in (2, 4)
        t = torch.from_numpy(np.ascontiguousarray(x)).permute(2, 0, 1)
        pixels, alpha = (t[:-1], t[-1:]) if has_alpha else (t, None)
        return cls(pixels.contiguous(), None if alpha is None else alpha.contiguous(), depth, **meta)


# ---------------------------------------------------------------- orientation

def apply_orientation(arr: np.ndarray, orientation: int) -> np.ndarray:
    """Transform H×W(×C) pixels as EXIF orientation 1-8 asks, so they display upright (as PIL's exif_transpose)."""
    ops = {2: lambda a: a[:, ::-1], 3: lambda a: a[::-1, ::-1], 4: lambda a: a[::-1],
           5: lambda a: np.swapaxes(a, 0, 1), 6: lambda a: np.rot90(a, -1),
           7: lambda a: np.rot90(np.swapaxes(a, 0, 1), 2), 8: lambda a: np.rot90(a, 1)}
    op = ops.get(orientation)
    return np.ascontiguousarray(op(arr)) if op else arr


def apply_orientation_image(img: "Image", orientation: int) -> "Image":
    """:func:`apply_orientation` on an :class:`Image`'s pixels and alpha (1 or unknown: unchanged)."""
    if orientation not in range(2, 9):
        return img
    def turn(t: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(apply_orientation(t.permute(1, 2, 0).numpy(), orientation)).permute(2, 0, 1)

    alpha = None if img.alpha is None else turn(img.alpha).contiguous()
    return img.with_pixels(turn(img.pixels).contiguous(), alpha)


# ---------------------------------------------------------------- reading

def _check_path(path: Path) -> None:
    if not path.exists():
        raise ImageError(f"{path}: no such file")
    if path.is_dir():
        raise ImageError(f"{path}: is a directory")
    if not os.access(path, os.R_OK):
        raise ImageError(f"{path}: permission denied")
    if path.stat().st_size == 0:
        raise ImageError(f"{path}: empty file")


def _png_bit_depth(data: bytes) -> int:
    return data[24] if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 25 else 8


def _read_tiff_16(data: bytes) -> Optional[tuple[np.ndarray, Optional[bytes], int]]:
    """Pixels, ICC and orientation of a TIFF with more than 8 bits per sample; None for 8-bit ones (PIL reads those)."""
    import tifffile

    try:
        with tifffile.TiffFile(_io.BytesIO(data)) as tf:
            page = tf.pages[0]
            if page.bitspersample <= 8:
                return None
            photometric = int(page.photometric)
            if photometric not in (0, 1, 2):       # MINISWHITE, MINISBLACK, RGB
                raise ImageError(f"unsupported high-bit-depth TIFF colour space ({page.photometric.name})")
            arr = page.asarray()
            icc = page.tags.get(34675)
            orient = page.tags.get(274)
    except ImageError:
        raise
    except Exception as e:  # noqa: BLE001 - tifffile raises many types for damaged files
        raise ImageError(f"not a readable image ({first_line(e)})") from None
    if photometric == 0 and arr.dtype == np.uint16:
        arr = 65535 - arr
    return arr, (bytes(icc.value) if icc else None), (int(orient.value) if orient else 1)


def _cmyk_to_rgb(im, icc: Optional[bytes]):
    """CMYK → RGB through the embedded profile when there is one; returns (image, icc of the result)."""
    if icc:
        from PIL import ImageCms

        try:
            src = ImageCms.ImageCmsProfile(_io.BytesIO(icc))
            dst = ImageCms.createProfile("sRGB")
            return ImageCms.profileToProfile(im, src, dst, outputMode="RGB"), \
                ImageCms.ImageCmsProfile(dst).tobytes()
        except (ImageCms.PyCMSError, OSError):
            pass
    return im.convert("RGB"), None


def _decode_16bit_png(data: bytes) -> np.ndarray:
    import cv2

    arr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if arr is None:
        raise ImageError("corrupt 16-bit PNG")
    if arr.ndim == 3:
        arr = arr[:, :, [2, 1, 0, 3][: arr.shape[2]]]
    return arr


def pil_to_array(im) -> np.ndarray:
    """PIL image → uint8/uint16 array with gray, gray+alpha, RGB or RGBA channels."""
    mode = im.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N"):
        return np.asarray(im).astype(np.uint16)
    if mode == "I":
        return np.clip(np.asarray(im), 0, 65535).astype(np.uint16)
    if mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    elif mode == "1":
        im = im.convert("L")
    elif mode in ("PA",):
        im = im.convert("RGBA")
    elif mode == "L" and "transparency" in im.info:
        im = im.convert("LA")
    elif mode not in ("L", "LA", "RGB", "RGBA"):
        im = im.convert("RGBA" if "A" in mode else "RGB")
    return np.asarray(im)


def read_image(path: Union[str, Path], orient: bool = True) -> Image:
    """Read PNG, JPEG, WebP, TIFF or BMP (8/16-bit; gray, RGB, RGBA, palette) into an :class:`Image`.

    The EXIF orientation is applied unless ``orient`` is False (sensor data such as a Bayer mosaic, whose
    layout a rotation would change); then it is left in ``meta["orientation"]`` for the caller to apply.
    """
    from PIL import Image as PILImage, UnidentifiedImageError

    path = Path(path)
    _check_path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ImageError(f"{path}: cannot read ({e.strerror or e})") from None
    icc = exif = quality = None
    orientation = 1
    try:
        tiff16 = _read_tiff_16(data) if data[:4] in (b"II*\x00", b"MM\x00*") else None
        if tiff16 is not None:
            arr, icc, orientation = tiff16
            fmt = "TIFF"
        else:
            with PILImage.open(_io.BytesIO(data)) as im:
                im.load()
                fmt = im.format
                icc = im.info.get("icc_profile") or None
                ex = im.getexif()
                orientation = int(ex.get(ORIENTATION_TAG, 1) or 1)
                if len(ex) and fmt != "TIFF":      # a TIFF's tag directory is not an EXIF block
                    ex[ORIENTATION_TAG] = 1
                    exif = ex.tobytes()
                if fmt == "JPEG":
                    quality = quality_from_tables(dict(getattr(im, "quantization", None) or {}))
                if im.mode == "CMYK":
                    im, icc = _cmyk_to_rgb(im, icc)
                arr = _decode_16bit_png(data) if fmt == "PNG" and _png_bit_depth(data) == 16 else pil_to_array(im)
    except ImageError as e:
        raise ImageError(f"{path}: {e}") from None
    except UnidentifiedImageError:
        raise ImageError(f"{path}: not a readable image (unrecognised or corrupt format)") from None
    except (OSError, SyntaxError, ValueError, IndexError, struct.error) as e:
        raise ImageError(f"{path}: not a readable image ({first_line(e)})") from None
    if arr.dtype not in (np.uint8, np.uint16):
        if np.issubdtype(arr.dtype, np.floating):
            arr = np.clip(arr, 0, 1)
        else:
            raise ImageError(f"{path}: unsupported sample type {arr.dtype}")
    if arr.ndim == 3 and arr.shape[2] > 4:
        raise ImageError(f"{path}: unsupported channel count {arr.shape[2]}")
    if orient:
        arr = apply_orientation(arr, orientation)
    meta = {"path": str(path), "format": fmt} | ({} if orient else {"orientation": orientation})
    if fmt == "JPEG" and quality is not None:
        meta["jpeg_quality"] = quality          # what dejpeg tells its network (see restore.jpeg_tables)
    return Image.from_array(arr, icc=icc, exif=exif, meta=meta)


# ---------------------------------------------------------------- writing

def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def _png_add_chunks(png: bytes, icc: Optional[bytes], exif: Optional[bytes]) -> bytes:
    """Insert iCCP / eXIf chunks right after IHDR of an encoded PNG."""
    extra = b""
    if icc:
        extra += _png_chunk(b"iCCP", b"icc\x00\x00" + zlib.compress(icc))
    if exif:
        extra += _png_chunk(b"eXIf", exif[6:] if exif.startswith(b"Exif\x00\x00") else exif)
    ihdr_end = 8 + 8 + 13 + 4
    return png[:ihdr_end] + extra + png[ihdr_end:]


def _encode(img: Image, fmt: str, quality: int) -> bytes:
    from PIL import Image as PILImage

    arr = img.to_array()
    has_alpha = img.alpha is not None
    if fmt == "JPEG" and has_alpha:
        raise ImageError("JPEG cannot store an alpha channel; write PNG, WebP or TIFF instead")
    if fmt in ("JPEG", "WEBP", "BMP") and arr.dtype == np.uint16:
        arr = (arr.astype(np.float32) / 257).round().astype(np.uint8)
    if arr.dtype == np.uint16:
        if fmt == "PNG":
            import cv2

            bgr = arr[:, :, [2, 1, 0, 3][: arr.shape[2]]] if arr.shape[2] >= 3 else arr
            ok, buf = cv2.imencode(".png", bgr)
            if not ok:
                raise ImageError("PNG encoding failed")
            return _png_add_chunks(buf.tobytes(), img.icc, img.exif)
        if fmt == "TIFF":
            import tifffile

            out = _io.BytesIO()
            photometric = "rgb" if arr.shape[2] >= 3 else "minisblack"
            extrasamples = ("unassalpha",) if has_alpha else None
            tifffile.imwrite(out, arr if arr.shape[2] > 1 else arr[:, :, 0], photometric=photometric,
                             iccprofile=img.icc, extrasamples=extrasamples, compression="zlib")
            return out.getvalue()
    a = arr[:, :, 0] if arr.shape[2] == 1 else arr
    im = PILImage.fromarray(a)
    kw: dict = {}
    if img.icc and fmt != "BMP":
        kw["icc_profile"] = img.icc
    if img.exif and fmt in ("JPEG", "PNG", "WEBP", "TIFF"):
        kw["exif"] = img.exif
    if fmt == "JPEG":
        kw.update(quality=quality, subsampling=0 if quality >= 90 else 2)
    elif fmt == "WEBP":
        kw.update(quality=quality, method=6, lossless=quality >= 100, exact=True)
    elif fmt == "TIFF":
        kw.update(compression="tiff_deflate")
    buf = _io.BytesIO()
    im.save(buf, format=fmt, **kw)
    return buf.getvalue()


_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP", ".tif": "TIFF", ".tiff": "TIFF",
            ".bmp": "BMP"}


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _umask()


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it into place.

    The file gets the permissions a plain ``open(path, "w")`` would give (an existing file keeps its own).
    """
    path = Path(path)
    mode = path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_UMASK
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
            os.fchmod(f.fileno(), mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_image(img: Image, path: Union[str, Path], quality: int = 95, overwrite: bool = True) -> Path:
    """Write ``img`` to ``path`` (format from the extension), atomically, keeping depth/alpha/ICC/EXIF."""
    path = Path(path)
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ImageError(f"{path}: unsupported output format {path.suffix!r}; use one of "
                         f"{', '.join(sorted(_FORMATS))}")
    if not overwrite and path.exists():
        raise ImageError(f"{path}: exists (not overwriting)")
    if not path.parent.is_dir():
        raise ImageError(f"{path.parent}: output folder does not exist")
    data = _encode(img, fmt, quality)
    try:
        atomic_write_bytes(path, data)
    except OSError as e:
        raise ImageError(f"{path}: cannot write ({e.strerror or e})") from None
    return path
