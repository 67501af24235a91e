"""Make a format-version fixture (run once per version; the outputs are committed, never regenerated in tests).

    python tests/data/make_codec_sample.py tests/data/codec-v2

Writes into the folder a tiny trained codec (codec-tiny.safetensors + manifest.json), sample.rst (a 100×72
RGBA crop of the bundled astronaut with an ICC profile and EXIF, 3×2 tiles of 48-px cells with 8 px of overlap)
in the current format version, and sample.png, its decoded pixels. codec-v1/ was made by this script when the
format was version 1 and the CDF tables had 64 scales.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

TESTS = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(TESTS / "codecs"), str(TESTS)]
OUT = Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
os.environ["RESTORE_WEIGHTS_DIR"] = str(OUT)

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
    make_tiny_codec(OUT)
    data = encode(sample_image(), quality=2.5, tile=64, overlap=8)
    (OUT / "sample.rst").write_bytes(data)
    write_image(decode(data), OUT / "sample.png")
    print(f"sample.rst: {len(data)} bytes")
