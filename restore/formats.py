"""What restore reads and writes, and how it reports a file it cannot use; no torch, so the CLI can build
its commands and answer ``--help`` without importing it."""
from __future__ import annotations

__all__ = ["READ_EXTS", "WRITE_EXTS", "PATTERNS", "WEATHER", "ImageError", "first_line", "MODEL_FILE_EXTS",
           "is_model_file"]

READ_EXTS = {".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp"}
WRITE_EXTS = {".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp"}
PATTERNS = ("RGGB", "BGGR", "GRBG", "GBRG")     # Bayer layouts of mosaic inputs, as read row by row from the top left
WEATHER = ("rain", "haze", "snow")              # the all-weather model's kinds, in its condition vector's order


class ImageError(ValueError):
    """A file that cannot be read or written as an image; the message is one line for the user."""


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (KeyError unquoted), or its type name when it has none."""
    text = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    return text.splitlines()[0] if text.strip() else type(exc).__name__


# model files a user may name with --model (restore.external reads them through spandrel)
MODEL_FILE_EXTS = (".pth", ".ckpt", ".safetensors", ".pt")


def is_model_file(name) -> bool:
    """Whether ``--model`` names a file (by its extension) rather than a shipped model id or alias."""
    return str(name).lower().endswith(MODEL_FILE_EXTS)
