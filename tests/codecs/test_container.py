"""The .rst container: round trip, and one-line errors for foreign, truncated and corrupted files."""
from __future__ import annotations

import random
import struct
import zlib
from pathlib import Path

import pytest

from restore.codecs.container import FORMAT_VERSION, MAGIC, CodecFormatError, Header, pack, stream, unpack

V1_SAMPLE = Path(__file__).resolve().parents[1] / "data" / "codec-v1" / "sample.rst"


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


@pytest.mark.parametrize("version", [1, 2])
def test_random_mutations_never_escape_as_other_errors(version):
    data = V1_SAMPLE.read_bytes() if version == 1 else _sample()[1]
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


def _one_tile(**kw) -> bytes:
    h = Header("codec-hp-lf3", b"\x02" * 8, 4.0, 768, 512, tile_w=1024, tile_h=1024)
    for k, v in kw.items():
        setattr(h, k, v)
    return pack(h, b"", b"", b"", [b"\x05" * 5000])


def _rewrite_body(data: bytes, edit) -> bytes:
    """``data`` with its header body edited by ``edit(bytearray)`` and the header length and CRC redone."""
    hlen = struct.unpack(">H", data[10:12])[0]
    body = bytearray(data[12:12 + hlen])
    edit(body)
    head = data[:10] + struct.pack(">H", len(body)) + bytes(body)
    return head + struct.pack(">I", zlib.crc32(head)) + data[16 + hlen:]


def test_a_one_tile_photo_costs_52_header_bytes_and_absent_streams_read_back_empty():
    data = _one_tile()
    assert len(data) == 52 + 5000 and data[8:10] == struct.pack(">H", 2) == struct.pack(">H", FORMAT_VERSION)
    h, streams = unpack(data)
    assert (h.width, h.height, h.grid, h.tile_w, h.tile_h, h.overlap, h.tiled) == (768, 512, (1, 1), 768, 512, 0,
                                                                                   False)
    assert [stream(h, streams, i, "s") for i in range(3)] == [b"", b"", b""]
    assert stream(h, streams, 3, "tile") == b"\x05" * 5000


@pytest.mark.parametrize("w,h", [(1, 1), (127, 128), (16383, 16384), (40000, 2)])
def test_sizes_round_trip_through_varints(w, h):
    got, _ = unpack(pack(Header("m", b"\0" * 8, 1.0, w, h, tile_w=1024, tile_h=1024, overlap=8), b"", b"", b"",
                         [b"t"] * (-(-w // 1024) * -(-h // 1024))))
    assert (got.width, got.height, got.tile_w, got.overlap) == (w, h, 1024, 8)


# the body of _one_tile(): id length and id (0-12), weights (13-20), quality (21-24), width (25-26) and
# height (27-28) as varints, flags (29), the tile's length varint (30-31) and CRC (32-35)
@pytest.mark.parametrize("edit", [
    lambda b: b.__setitem__(slice(30, 32), b"\x80\x80\x80\x80\x80\x00"),   # a varint longer than 5 bytes
    lambda b: b.__setitem__(29, 0x40),                                  # an unknown flag bit
    lambda b: b.__setitem__(29, 0x20),                                  # "tiled", then no valid tile fields
    lambda b: b.extend(b"\0"),                                          # bytes after the stream table
    lambda b: b.__setitem__(slice(25, 27), b"\x80\x00"),                # a width of 0
    lambda b: (b.__setitem__(29, 0x08), b.__setitem__(slice(30, 30), bytes(5))),   # an ICC stream of 0 bytes
])
def test_malformed_version_2_headers_are_refused(edit):
    data = _rewrite_body(_one_tile(), edit)
    with pytest.raises(CodecFormatError, match="header is malformed|header holds invalid values") as e:
        unpack(data)
    assert "\n" not in str(e.value)


def test_alpha_bytes_go_with_the_alpha_flag():
    with pytest.raises(ValueError, match="alpha"):
        pack(Header("m", b"\0" * 8, 1.0, 64, 64, alpha=1), b"", b"", b"", [b"t"])
    with pytest.raises(ValueError, match="alpha"):
        pack(Header("m", b"\0" * 8, 1.0, 64, 64), b"", b"", b"a", [b"t"])
