"""The ``.rst`` container: a self-describing, checksummed wrapper around the codec's streams.

Version 2 (version 1 files still decode). Fixed-size integers are big-endian;
``varint`` is unsigned LEB128 (7 bits per byte, low bits first, at most 5 bytes)::

    magic        8 bytes   89 52 53 54 0D 0A 1A 0A   ("\\x89RST\\r\\n\\x1a\\n", PNG-style)
    version      u16       2
    header_len   u16       length of the header body that follows
    header body:
      model_id     u8 length + UTF-8 (stable manifest id, e.g. "codec-hp-s")
      weights      8 bytes   first 8 bytes of the weights file's sha256
      quality      f32       the model's lowest … highest quality (fractional allowed)
      width        varint
      height       varint
      flags        u8        bit 0 gray, bit 1 16-bit output, bit 2 alpha (lossless, zlib), bit 3 ICC profile,
                             bit 4 EXIF, bit 5 tiled; the other bits are 0
      if tiled:    cell width varint, cell height varint, overlap u8 (pixels each coded tile extends past its
                   cell on every side; the decoder cross-fades overlapping tiles with linear weights).
                   Untiled: one cell, the whole image, no overlap.
      per stream present (ICC, EXIF, alpha as flagged, then every tile in raster order): length varint, crc32 u32
    header_crc   u32       CRC32 of every byte before it
    payload      the present streams back to back, in that order

Version 1 had the same magic, version, header length, model id, weights and quality, then u32 width and
height, u8 channels, bit depth and alpha, u16 cell width and height, u8 overlap, a u16 stream count and a
(u32 length, u32 crc32) pair for each of ICC, EXIF, alpha and every tile, present or not: 91 bytes for a
one-tile photo where version 2 takes 52, 0.8 % of a Kodak image at 0.1 bpp.

Every stream carries its own CRC32, so a region decode checks only the tiles it reads. Anything that does
not parse, does not add up, or fails a CRC raises :class:`CodecFormatError` with a one-line message.
"""
from __future__ import annotations

import math
import struct
import zlib
from dataclasses import dataclass, field

__all__ = ["MAGIC", "FORMAT_VERSION", "READ_VERSIONS", "CodecFormatError", "Header", "pack", "unpack",
           "MAX_PIXELS", "MAX_TILE"]

MAGIC = b"\x89RST\r\n\x1a\n"
FORMAT_VERSION = 2               # what pack writes
READ_VERSIONS = (1, 2)           # what unpack reads
MAX_PIXELS = 1 << 31             # refuse to allocate for absurd claimed sizes
MAX_TILE = 2048                  # a tile side bounds the decoder's memory (about 1.5 GB at 2048)
_V1 = struct.Struct(">IIBBBHHBH")     # version 1 after model id, weights and quality
_GRAY, _DEEP, _ALPHA, _ICC, _EXIF, _TILED = (1 << i for i in range(6))


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

    @property
    def tiled(self) -> bool:
        """False for one cell with no overlap, which version 2 stores without cell fields."""
        return self.grid != (1, 1) or self.overlap != 0

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


def _varint(n: int) -> bytes:
    if not 0 <= n < 1 << 35:
        raise ValueError(f"{n} does not fit a 5-byte varint")
    out = bytearray()
    while True:
        out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not n:
            return bytes(out)


class _Reader:
    """Reads a header body front to back; running off its end is a malformed header."""

    def __init__(self, body: bytes) -> None:
        self.body, self.pos = body, 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.body):
            raise _fail("header is malformed")
        self.pos += n
        return self.body[self.pos - n:self.pos]

    def unpack(self, fmt: struct.Struct | str) -> tuple:
        fmt = fmt if isinstance(fmt, struct.Struct) else struct.Struct(fmt)
        return fmt.unpack(self.take(fmt.size))

    def varint(self) -> int:
        n = 0
        for i in range(5):
            b = self.take(1)[0]
            n |= (b & 0x7F) << (7 * i)
            if not b & 0x80:
                return n
        raise _fail("header is malformed")


def pack(header: Header, icc: bytes, exif: bytes, alpha: bytes, tiles: list[bytes]) -> bytes:
    """Serialise a header and its streams into one version-2 ``.rst`` file body."""
    mid = header.model_id.encode()
    if len(mid) > 255 or len(header.weights) != 8:
        raise ValueError("model id too long or weight hash prefix not 8 bytes")
    _check(header)                  # what unpack would refuse is never written (CodecFormatError is a ValueError)
    if bool(header.alpha) != bool(alpha):
        raise ValueError("an alpha stream goes with alpha=1 and only then")
    flags = ((header.channels == 1) * _GRAY | (header.bit_depth == 16) * _DEEP | header.alpha * _ALPHA
             | bool(icc) * _ICC | bool(exif) * _EXIF | header.tiled * _TILED)
    body = bytearray([len(mid)]) + mid + struct.pack(">8sf", header.weights, header.quality)
    body += _varint(header.width) + _varint(header.height) + bytes([flags])
    if header.tiled:
        body += _varint(header.tile_w) + _varint(header.tile_h) + bytes([header.overlap])
    streams = [s for s in (icc, exif, alpha) if s] + list(tiles)
    for s in streams:
        body += _varint(len(s)) + struct.pack(">I", zlib.crc32(s))
    head = MAGIC + struct.pack(">HH", FORMAT_VERSION, len(body)) + bytes(body)
    return head + struct.pack(">I", zlib.crc32(head)) + b"".join(streams)


def _fail(msg: str) -> CodecFormatError:
    return CodecFormatError(msg)


def _header_v1(r: _Reader, model_id: str, weights: bytes, quality: float) -> Header:
    width, height, channels, depth, alpha, tw, th, overlap, count = r.unpack(_V1)
    h = Header(model_id, weights, quality, width, height, channels, depth, alpha, tw, th, overlap)
    _check(h)
    if count != 3 + math.prod(h.grid):
        raise _fail("header stream count does not match the tile grid")
    pairs = [r.unpack(">II") for _ in range(count)]
    h.lengths, h.crcs = [p[0] for p in pairs], [p[1] for p in pairs]
    return h


def _header_v2(r: _Reader, model_id: str, weights: bytes, quality: float) -> Header:
    width, height = r.varint(), r.varint()
    flags = r.take(1)[0]
    if flags >> 6:
        raise _fail("header holds invalid values")
    tw, th, overlap = (r.varint(), r.varint(), r.take(1)[0]) if flags & _TILED else (width, height, 0)
    h = Header(model_id, weights, quality, width, height, 1 if flags & _GRAY else 3, 16 if flags & _DEEP else 8,
               int(bool(flags & _ALPHA)), tw, th, overlap)
    _check(h)
    if bool(flags & _TILED) != h.tiled:
        raise _fail("header holds invalid values")
    present = [bool(flags & f) for f in (_ICC, _EXIF, _ALPHA)] + [True] * math.prod(h.grid)
    for here in present:
        length, crc = (r.varint(), r.unpack(">I")[0]) if here else (0, 0)
        h.lengths.append(length)
        h.crcs.append(crc)
    if 0 in [n for n, here in zip(h.lengths[:3], present) if here]:
        raise _fail("header holds invalid values")        # a flagged ICC/EXIF/alpha stream is never empty
    return h


def _check(h: Header) -> None:
    if not (math.isfinite(h.quality) and h.width > 0 and h.height > 0 and h.width * h.height <= MAX_PIXELS
            and h.channels in (1, 3) and h.bit_depth in (8, 16) and h.alpha in (0, 1)
            and 0 < h.tile_w and 0 < h.tile_h and max(h.tile_w, h.tile_h) + 2 * h.overlap <= MAX_TILE
            and 2 * h.overlap <= min(h.tile_w, h.tile_h)):
        raise _fail("header holds invalid values")


def unpack(data: bytes) -> tuple[Header, list[memoryview]]:
    """Parse and validate a file (version 1 or 2); returns the header and its (not yet CRC-checked) streams:
    ICC, EXIF and alpha (empty where absent), then the tiles.

    Stream CRCs are checked by :func:`stream`, so a region decode touches only what it reads.
    """
    mv = memoryview(data)
    if len(data) < len(MAGIC) or bytes(mv[:8]) != MAGIC:
        raise _fail("not a restore codec file (bad magic)")
    if len(data) < 12:
        raise _fail("file is truncated (header)")
    version, hlen = struct.unpack(">HH", mv[8:12])
    if version not in READ_VERSIONS:
        raise _fail(f"unsupported codec format version {version} "
                    f"(this restore reads versions {', '.join(map(str, READ_VERSIONS))})")
    end = 12 + hlen
    if len(data) < end + 4:
        raise _fail("file is truncated (header)")
    if zlib.crc32(mv[:end]) != struct.unpack(">I", mv[end:end + 4])[0]:
        raise _fail("header is corrupted (CRC mismatch)")
    r = _Reader(bytes(mv[12:end]))
    try:
        model_id = r.take(r.take(1)[0]).decode("utf-8")
    except UnicodeDecodeError:
        raise _fail("header is malformed") from None
    weights, quality = r.unpack(">8sf")
    h = (_header_v1 if version == 1 else _header_v2)(r, model_id, weights, quality)
    if r.pos != len(r.body):
        raise _fail("header is malformed")
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
