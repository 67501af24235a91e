"""Truncated, bit-flipped and crafted files: always a one-line CodecFormatError or a valid image, never a crash."""
from __future__ import annotations

import time

import numpy as np
import pytest

from restore.codecs.container import CodecFormatError, pack, unpack
from restore.io import Image


@pytest.fixture
def sample(tiny_codec, rng) -> bytes:
    rgba = rng.integers(0, 256, (80, 96, 4), dtype=np.uint8)
    img = Image.from_array(rgba)
    img.icc = b"icc" * 20
    return tiny_codec.encode(img, quality=2, tile=64)


def _decode(data: bytes):
    from restore.api import decode

    return decode(data)


def _expect_error(data: bytes) -> str:
    with pytest.raises(CodecFormatError) as e:
        _decode(data)
    msg = str(e.value)
    assert msg and "\n" not in msg
    return msg


def test_truncations_and_bit_flips_are_all_detected(sample, rng):
    t0 = time.perf_counter()
    cuts = sorted(set(rng.integers(0, len(sample), 120).tolist()) | {0, 1, 8, 11, 12, len(sample) - 1})
    for n in cuts:
        _expect_error(sample[:n])
    for _ in range(200):
        data = bytearray(sample)
        for pos in rng.integers(0, len(data), rng.integers(1, 4)):
            data[pos] ^= 1 << int(rng.integers(0, 8))
        if bytes(data) != sample:
            _expect_error(bytes(data))
    for _ in range(30):                                   # junk appended, bytes inserted, foreign files
        _expect_error(sample + bytes(rng.integers(0, 256, rng.integers(1, 50), dtype=np.uint8)))
        pos = int(rng.integers(0, len(sample)))
        _expect_error(sample[:pos] + b"\x00" + sample[pos:])
        _expect_error(bytes(rng.integers(0, 256, rng.integers(0, 400), dtype=np.uint8)))
    assert time.perf_counter() - t0 < 120


def test_garbage_streams_with_valid_crcs_decode_or_fail_cleanly(sample, rng):
    """A crafted file whose checksums are right but whose tile streams were not written by the coder."""
    h, streams = unpack(sample)
    icc, exif, alpha = (bytes(s) for s in streams[:3])
    ok = 0
    for i in range(60):
        tiles = [bytes(rng.integers(0, 256, rng.integers(0, 300), dtype=np.uint8)) for _ in streams[3:]]
        if i % 3 == 0:
            tiles[0] = b""
        try:
            out = _decode(pack(h, icc, exif, alpha, tiles))
        except CodecFormatError as e:
            assert "\n" not in str(e)
        else:
            assert (out.width, out.height) == (96, 80) and bool(out.pixels.isfinite().all())
            ok += 1
    assert ok > 0              # most garbage decodes to (garbage) pixels: the decoder itself must not crash
