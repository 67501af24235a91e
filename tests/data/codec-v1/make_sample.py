"""Regenerate the format-version-1 fixture (run once; the outputs are committed, never regenerated in tests).

    python tests/data/codec-v1/make_sample.py

Writes a tiny trained codec (codec-tiny.safetensors + manifest.json), sample.rst (a 100×72 RGBA crop of the
bundled astronaut with an ICC profile and EXIF, 3×2 tiles of 48-px cells with 8 px of overlap) and sample.png, its decoded pixels.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1] / "codecs"), str(HERE.parents[1])]
os.environ["RESTORE_WEIGHTS_DIR"] = str(HERE)

from tinycodec import EXAMPLES, make_tiny_codec  # noqa: E402

from restore.api import decode, encode  # noqa: E402
from restore.io import Image, read_image, write_image  # noqa: E402

ICC = b"restore-test-icc" * 8
EXIF = b"Exif\x00\x00MM\x00*\x00\x00\x00\x08" + bytes(16)


def sample_image() -> Image:
    rgb = read_image(EXAMPLES / "astronaut.png").to_array()[40:112, 180:280]
    alpha = np.tile(np.linspace(0, 255, 100, dtype=np.uint8), (72, 1))
    img = Image.from_array(np.concatenate([rgb, alpha[..., None]], 2))
    img.icc, img.exif = ICC, EXIF
    return img


if __name__ == "__main__":
    make_tiny_codec(HERE)
    data = encode(sample_image(), quality=2.5, tile=64, overlap=8)
    (HERE / "sample.rst").write_bytes(data)
    write_image(decode(data), HERE / "sample.png")
    print(f"sample.rst: {len(data)} bytes")
