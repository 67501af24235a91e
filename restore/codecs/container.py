"""The ``.rst`` container: a self-describing, checksummed wrapper around the codec's streams.

Layout (all integers big-endian)::

    magic        8 bytes   89 52 53 54 0D 0A 1A 0A   ("\\x89RST\\r\\n\\x1a\\n", PNG-style)
    version      u16       FORMAT_VERSION
    header_len   u16       length of the header body that follows
    header body:
      model_id     u8 length + UTF-8 (stable manifest id, e.g. "codec-hp-s")
      weights      8 bytes   first 8 bytes of the weights file's sha256
      quality      f32       the model's lowest … highest quality (fractional allowed)
      width        u32
      height       u32
      channels     u8        1 (gray) or 3 (RGB)
      bit_depth    u8        8 or 16 (decoded output depth)
      alpha        u8        0 none, 1 lossless (zlib, stream 2)
      tile_w       u16       grid cell width in pixels (cell + 2·overlap at most 2048)
      tile_h       u16       grid cell height
      overlap      u8        pixels each coded tile extends past its cell on every side (0-255);
                             the decoder cross-fades overlapping tiles with linear weights
      streams      u16       count N = 3 + number of tiles
      N × (length u32, crc32 u32)
    header_crc   u32       CRC32 of every byte before it
    payload      the N streams back to back: ICC profile, EXIF, alpha, then tiles in raster order

Every stream carries its own CRC32, so a region decode checks only the tiles it reads. Anything that does
not parse, does not add up, or fails a CRC raises :class:`CodecFormatError` with a one-line message.
"""
from __future__ import annotations

import math
import struct
import zlib
from dataclasses import dataclass, field

__all__ = ["MAGIC", "FORMAT_VERSION", "CodecFormatError", "Header", "pack", "unpack", "MAX_PIXELS", "MAX_TILE"]

MAGIC = b"\x89RST\r\n\x1a\n"
FORMAT_VERSION = 1
MAX_PIXELS = 1 << 31             # refuse to allocate for absurd claimed sizes
MAX_TILE = 2048                  # a tile side bounds the decoder's memory (about 1.5 GB at 2048)
_FIXED = struct.Struct(">8sfIIBBBHHBH")


class CodecFormatError(ValueError):
    """A file that is not a valid restore codec stream (foreign, truncated or corrupted)."""


@dataclass
class Header:
    model_id: str
    weights: bytes              # 8-byte sha256 prefix
    quality: float
    width: int
    height: int
    channels: int = 3
    bit_depth: int = 8
    alpha: int = 0
    tile_w: int = 1024
    tile_h: int = 1024
    overlap: int = 0
    lengths: list[int] = field(default_factory=list)
    crcs: list[int] = field(default_factory=list)

    @property
    def grid(self) -> tuple[int, int]:
        """(columns, rows) of the tile grid."""
        return math.ceil(self.width / self.tile_w), math.ceil(self.height / self.tile_h)

    def tile_box(self, index: int) -> tuple[int, int, int, int]:
        """(x, y, w, h) of tile ``index`` (raster order), clipped to the image."""
        cols, _ = self.grid
        x, y = (index % cols) * self.tile_w, (index // cols) * self.tile_h
        return x, y, min(self.tile_w, self.width - x), min(self.tile_h, self.height - y)

    def coded_box(self, index: int) -> tuple[int, int, int, int]:
        """(x, y, w, h) of the pixels tile ``index`` codes: its cell grown by ``overlap``, clipped."""
        x, y, w, h = self.tile_box(index)
        x0, y0 = max(0, x - self.overlap), max(0, y - self.overlap)
        x1, y1 = min(self.width, x + w + self.overlap), min(self.height, y + h + self.overlap)
        return x0, y0, x1 - x0, y1 - y0


def pack(header: Header, icc: bytes, exif: bytes, alpha: bytes, tiles: list[bytes]) -> bytes:
    """Serialise a header and its streams into one ``.rst`` file body."""
    streams = [icc, exif, alpha, *tiles]
    mid = header.model_id.encode()
    if len(mid) > 255 or len(header.weights) != 8:
        raise ValueError("model id too long or weight hash prefix not 8 bytes")
    body = bytearray([len(mid)]) + mid
    body += _FIXED.pack(header.weights, header.quality, header.width, header.height, header.channels,
                        header.bit_depth, header.alpha, header.tile_w, header.tile_h, header.overlap,
                        len(streams))
    for s in streams:
        body += struct.pack(">II", len(s), zlib.crc32(s))
    head = MAGIC + struct.pack(">HH", FORMAT_VERSION, len(body)) + bytes(body)
    return head + struct.pack(">I", zlib.crc32(head)) + b"".join(streams)


def _fail(msg: str) -> CodecFormatError:
    return CodecFormatError(msg)


def unpack(data: bytes) -> tuple[Header, list[memoryview]]:
    """Parse and validate a file; returns the header and its (not yet CRC-checked) streams.

    Stream CRCs are checked by :func:`stream`, so a region decode touches only what it reads.
    """
    mv = memoryview(data)
    if len(data) < len(MAGIC) or bytes(mv[:8]) != MAGIC:
        raise _fail("not a restore codec file (bad magic)")
    if len(data) < 12:
        raise _fail("file is truncated (header)")
    version, hlen = struct.unpack(">HH", mv[8:12])
    if version != FORMAT_VERSION:
        raise _fail(f"unsupported codec format version {version} (this restore reads version {FORMAT_VERSION})")
    end = 12 + hlen
    if len(data) < end + 4:
        raise _fail("file is truncated (header)")
    if zlib.crc32(mv[:end]) != struct.unpack(">I", mv[end:end + 4])[0]:
        raise _fail("header is corrupted (CRC mismatch)")
    body = bytes(mv[12:end])
    try:
        n = body[0]
        model_id = body[1:1 + n].decode("utf-8")
        fields = _FIXED.unpack_from(body, 1 + n)
    except (IndexError, UnicodeDecodeError, struct.error):
        raise _fail("header is malformed") from None
    weights, quality, width, height, channels, depth, alpha, tw, th, overlap, count = fields
    h = Header(model_id, weights, quality, width, height, channels, depth, alpha, tw, th, overlap)
    if not (math.isfinite(quality) and width > 0 and height > 0 and width * height <= MAX_PIXELS
            and channels in (1, 3) and depth in (8, 16) and alpha in (0, 1)
            and 0 < tw and 0 < th and max(tw, th) + 2 * overlap <= MAX_TILE and 2 * overlap <= min(tw, th)):
        raise _fail("header holds invalid values")
    cols, rows = h.grid
    if count != 3 + cols * rows:
        raise _fail("header stream count does not match the tile grid")
    table = 1 + n + _FIXED.size
    if len(body) != table + 8 * count:
        raise _fail("header is malformed")
    pairs = [struct.unpack_from(">II", body, table + 8 * i) for i in range(count)]
    h.lengths = [p[0] for p in pairs]
    h.crcs = [p[1] for p in pairs]
    pos = end + 4
    if pos + sum(h.lengths) != len(data):
        raise _fail("file is truncated" if pos + sum(h.lengths) > len(data) else "file has trailing data")
    streams = []
    for length in h.lengths:
        streams.append(mv[pos:pos + length])
        pos += length
    return h, streams


def stream(header: Header, streams: list[memoryview], index: int, what: str) -> bytes:
    """Stream ``index`` as bytes after checking its CRC32."""
    s = bytes(streams[index])
    if zlib.crc32(s) != header.crcs[index]:
        raise _fail(f"{what} is corrupted (CRC mismatch)")
    return s
