"""The quality a JPEG file was saved at, read from its quantisation tables (no pixels decoded).

libjpeg (and so Pillow, most cameras' firmware and the web's encoders) scales two standard tables (Annex K of the
JPEG standard) by one quality factor. Matching a file's tables against every scaled pair gives that factor
exactly for such files, and the nearest one for encoders with tables of their own (phones, Photoshop), which is
what a restorer told "how compressed is this" needs.
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import Optional, Union

__all__ = ["STANDARD_LUMA", "STANDARD_CHROMA", "scaled_table", "quality_from_tables", "jpeg_quality"]

STANDARD_LUMA = (
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
    14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99)
STANDARD_CHROMA = (
    17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99,
    47, 66, 99, 99, 99, 99, 99, 99) + (99,) * 32


def scaled_table(standard: tuple[int, ...], quality: int) -> list[int]:
    """libjpeg's ``jpeg_quality_scaling`` applied to a standard table (baseline: entries clamped to 1-255)."""
    q = min(max(int(quality), 1), 100)
    scale = 5000 // q if q < 50 else 200 - 2 * q
    return [min(max((v * scale + 50) // 100, 1), 255) for v in standard]


def quality_from_tables(tables: dict) -> Optional[int]:
    """The libjpeg quality (1-100) whose tables are nearest to ``tables`` ({0: luma, 1: chroma, …}, 64 values
    each in natural order, as Pillow's ``quantization``); None when there is no luma table."""
    luma = tables.get(0)
    if luma is None or len(luma) != 64:
        return None
    chroma = tables.get(1)
    pairs = [(luma, STANDARD_LUMA)] + ([(chroma, STANDARD_CHROMA)] if chroma is not None and len(chroma) == 64 else [])

    def distance(q: int) -> float:
        return sum(abs(a - b) / b for t, std in pairs for a, b in zip(t, scaled_table(std, q)))

    return min(range(1, 101), key=lambda q: (distance(q), -q))


def jpeg_quality(source: Union[str, Path, bytes]) -> Optional[int]:
    """The quality of a JPEG file (path or bytes) from its tables; None for anything that is not a JPEG."""
    from PIL import Image as PILImage

    try:
        data = source if isinstance(source, bytes) else Path(source).read_bytes()
        with PILImage.open(io.BytesIO(data)) as im:
            if im.format != "JPEG":
                return None
            return quality_from_tables(dict(getattr(im, "quantization", None) or {}))
    except (OSError, ValueError, SyntaxError):
        return None
