"""The .rst container: round trip, and one-line errors for foreign, truncated and corrupted files."""
from __future__ import annotations

import random
import struct

import pytest

from restore.codecs.container import FORMAT_VERSION, MAGIC, CodecFormatError, Header, pack, stream, unpack


def _sample() -> tuple[Header, bytes]:
    h = Header("codec-x", b"\x01" * 8, 3.5, 300, 200, 3, 16, 1, 128, 128)
    tiles = [bytes([i]) * (10 + i) for i in range(6)]
    return h, pack(h, b"icc!", b"Exif", b"alpha", tiles)


def test_round_trip():
    h, data = _sample()
    assert data.startswith(MAGIC)
    got, streams = unpack(data)
    assert (got.model_id, got.quality, got.width, got.height, got.bit_depth, got.alpha) == \
        ("codec-x", 3.5, 300, 200, 16, 1)
    assert got.grid == (3, 2) and got.tile_box(5) == (256, 128, 44, 72)
    assert [stream(got, streams, i, "s") for i in range(3)] == [b"icc!", b"Exif", b"alpha"]
    assert stream(got, streams, 8, "tile") == bytes([5]) * 15


@pytest.mark.parametrize("mutate,message", [
    (lambda d: b"GIF89a" + d[6:], "not a restore codec file"),
    (lambda d: d[:8] + struct.pack(">H", FORMAT_VERSION + 1) + d[10:], "unsupported codec format version"),
    (lambda d: d[:-1], "truncated"),
    (lambda d: d[:20], "truncated"),
    (lambda d: d + b"\0", "trailing data"),
    (lambda d: d[:14] + bytes([d[14] ^ 1]) + d[15:], "header is corrupted"),
    (lambda d: b"", "not a restore codec file"),
])
def test_bad_files_are_one_line_errors(mutate, message):
    _, data = _sample()
    with pytest.raises(CodecFormatError, match=message) as e:
        unpack(mutate(data))
    assert "\n" not in str(e.value)


def test_stream_crc_is_checked():
    _, data = _sample()
    bad = bytearray(data)
    bad[-3] ^= 0x40
    h, streams = unpack(bytes(bad))
    with pytest.raises(CodecFormatError, match="tile 5 is corrupted"):
        stream(h, streams, 8, "tile 5")


def test_random_mutations_never_escape_as_other_errors():
    _, data = _sample()
    rng = random.Random(7)
    for _ in range(300):
        d = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            d[rng.randrange(len(d))] = rng.randrange(256)
        try:
            h, streams = unpack(bytes(d))
            for i in range(len(streams)):
                stream(h, streams, i, "s")
        except CodecFormatError:
            pass
