"""Image-level codec: tiles, padding, alpha/ICC/EXIF passthrough, rate search and region decode.

Images larger than ``tile`` are cut into a grid of independent tiles, so memory is bounded by one tile and
any region decodes from the tiles it touches. Each tile codes ``overlap`` pixels past its grid cell on every
side (cells are ``tile - 2·overlap`` so interior tiles code exactly ``tile`` pixels); the decoder cross-fades
the overlaps, so boundaries leave no seam. Edge tiles are padded by replication to a multiple of 64.
"""
from __future__ import annotations

import struct
import zlib
from typing import Callable, Iterable, Optional

import numpy as np
import torch
import torch.nn.functional as F

from restore.codecs.container import MAX_TILE, CodecFormatError, Header, pack, stream, unpack
from restore.codecs.model import STRIDE, CodecNet
from restore.codecs.refine import EFFORTS, MAX_EFFORT, refine_latents
from restore.io import Image
from restore.runtime import ShapeTrim, resolve_precision, run_at
from restore.tasks.spec import TaskSpec, register_task

__all__ = ["LearnedCodec", "SPEC", "DEFAULT_TILE", "DEFAULT_OVERLAP", "f32", "parse_region", "blend_weights"]

DEFAULT_TILE = 1024
DEFAULT_OVERLAP = 16    # pixels each tile codes past its cell; the decoder cross-fades 2×16 px across a seam
_TARGET_STEPS = 9       # bisection steps of the quality search for --target-bpp
_TARGET_RETRIES = (0.0, 0.125, 0.25, 0.5)   # quality steps down when a searched file overshoots --target-bpp


def f32(x: float) -> float:
    """``x`` rounded to float32, as the header stores it (encoder and decoder must agree)."""
    return struct.unpack(">f", struct.pack(">f", x))[0]


def parse_region(text: str) -> tuple[int, int, int, int]:
    """``"x,y,w,h"`` → ints, with a one-line error for anything else."""
    try:
        x, y, w, h = (int(v) for v in text.split(","))
    except ValueError:
        raise ValueError(f"region must be x,y,w,h (four integers), not {text!r}") from None
    return x, y, w, h


def _pad_to(x: torch.Tensor, multiple: int) -> torch.Tensor:
    h, w = x.shape[-2:]
    ph, pw = -h % multiple, -w % multiple
    return F.pad(x, (0, pw, 0, ph), mode="replicate") if ph or pw else x


def _alpha_bytes(alpha: torch.Tensor, depth: int) -> bytes:
    peak, dt = (65535, ">u2") if depth == 16 else (255, "u1")
    arr = np.rint(alpha[0].clamp(0, 1).numpy() * peak).astype(dt)
    return zlib.compress(arr.tobytes(), 9)


def _alpha_plane(data: bytes, h: Header) -> torch.Tensor:
    peak, dt = (65535, ">u2") if h.bit_depth == 16 else (255, "u1")
    size = h.width * h.height * (2 if h.bit_depth == 16 else 1)
    d = zlib.decompressobj()
    try:
        raw = d.decompress(data, size + 1)
    except zlib.error:
        raise CodecFormatError("alpha stream is corrupted") from None
    if len(raw) != size or not d.eof:
        raise CodecFormatError("alpha stream has the wrong size")
    arr = np.frombuffer(raw, dtype=dt).reshape(h.height, h.width).astype(np.float32) / peak
    return torch.from_numpy(arr)[None]


class LearnedCodec:
    """A loaded codec network with its manifest entry; encodes Images to bytes and back."""

    def __init__(self, net: CodecNet, entry, precision: str = "auto") -> None:
        self.net = net.eval()
        for p in self.net.parameters():
            p.requires_grad_(False)
        self.net.freeze()
        self.entry = entry
        self.precision = resolve_precision(precision)

    @classmethod
    def build(cls, net: CodecNet, entry, precision: str = "auto", scale: Optional[int] = None) -> "LearnedCodec":
        return cls(net, entry, precision)

    def _transform(self, fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        """Run the analysis or synthesis transform at this codec's precision (bf16 autocast + channels-last
        where the CPU has native bf16). Only these two run in bf16: the entropy-model networks that pick the
        CDF tables stay in exact fixed point, so a file decodes to the same symbols everywhere."""
        return run_at(self.precision, fn, x).contiguous()

    def tile_latents(self, h: Header, index: int, payload: bytes) -> torch.Tensor:
        """The fixed-point ``y_hat`` of tile ``index`` from its stream: exact, the same on every machine."""
        w, hh = _padded(h, index)
        return self.net.decode_latents(payload, hh, w)

    def analyse(self, tile: torch.Tensor) -> torch.Tensor:
        """A padded 1×3×H×W tile's analysis transform at this codec's precision (what :meth:`encode` codes)."""
        return self._transform(self.net.analyse, tile)

    @property
    def id(self) -> str:
        return self.entry.id

    @property
    def weights_prefix(self) -> bytes:
        return bytes.fromhex(self.entry.sha256[:16])

    @property
    def qualities(self) -> tuple[int, int]:
        """(lowest, highest) quality of the model; fractions in between interpolate."""
        return self.net.first_quality, self.net.max_quality

    # -- encode -----------------------------------------------------------------------------------------------
    def _tiles(self, img: Image, quality: float, tile: int, overlap: int,
               progress: Optional[Callable[[int, int], None]],
               cache: Optional[dict] = None, effort: int = 1) -> tuple[Header, list[bytes]]:
        """Header and tile streams; ``cache`` (a dict kept across calls) holds each tile's analysis transform,
        which does not depend on the quality. Above effort 1 each tile's latents are searched for
        (:mod:`restore.codecs.refine`) and ``progress`` counts search steps instead of tiles."""
        # a side that fits in one tile is one cell; otherwise cells are tile - 2·overlap, so each interior
        # tile codes exactly ``tile`` pixels (a multiple of 64: no padding)
        cell_w = tile if img.width <= tile else tile - 2 * overlap
        cell_h = tile if img.height <= tile else tile - 2 * overlap
        h = Header(self.id, self.weights_prefix, quality, img.width, img.height, img.channels, img.bit_depth,
                   int(img.alpha is not None), cell_w, cell_h, overlap if (cell_w, cell_h) != (tile, tile) else 0)
        rgb = img.pixels.expand(3, -1, -1) if img.channels == 1 else img.pixels
        cols, rows = h.grid
        out: dict[int, bytes] = {}
        trim = ShapeTrim()
        order = by_shape(h, range(cols * rows))
        search = EFFORTS[effort]
        total = len(order) * (search.steps if search else 1)
        done = 0

        def tick(*_) -> None:
            nonlocal done
            done += 1
            if progress:
                progress(done, total)

        for i in order:
            x, y, w, hh = h.coded_box(i)
            t = _pad_to(rgb[None, :, y:y + hh, x:x + w].float(), STRIDE)
            trim(_padded(h, i))
            feats = None if cache is None else cache.get(i)
            if feats is None:
                feats = self.analyse(t)
                if cache is not None:
                    cache[i] = feats
            if search is None:
                out[i] = self.net.compress(t, quality, feats)
                tick()
            else:
                latents = refine_latents(self.net, t, feats, quality, search, (hh, w), self.precision,
                                         seed=i, step_done=tick)
                out[i] = self.net.compress(t, quality, latents=latents)
        return h, [out[i] for i in range(cols * rows)]

    def encode(self, img: Image, quality: float = 4.0, target_bpp: Optional[float] = None,
               tile: int = DEFAULT_TILE, overlap: int = DEFAULT_OVERLAP,
               progress: Optional[Callable[[int, int], None]] = None, effort: int = 1) -> bytes:
        """Compress ``img`` at ``quality`` (see :attr:`qualities`) or, with ``target_bpp``, at the highest quality whose
        whole file (headers and metadata included) fits in ``target_bpp`` bits per pixel.

        Images larger than ``tile`` are cut into independent tiles that each code ``overlap`` extra pixels
        on every side; the decoder cross-fades the overlaps, so tile boundaries leave no seam. ``effort`` 1 codes
        the analysis transform's latents; 2 to :data:`MAX_EFFORT` search for better ones, slower at each level
        (with ``target_bpp``: the quality is found at effort 1, then the search runs at it and the size is
        checked again, stepping the quality down if the search's file no longer fits).
        """
        if tile <= 0 or tile % STRIDE or tile > MAX_TILE:
            raise ValueError(f"tile must be a multiple of {STRIDE} from {STRIDE} to {MAX_TILE}, not {tile}")
        if not 0 <= overlap <= min(255, tile // 4):
            raise ValueError(f"overlap must be between 0 and {min(255, tile // 4)} pixels, not {overlap}")
        if img.channels not in (1, 3):
            raise ValueError(f"cannot code an image with {img.channels} channels")
        if effort not in EFFORTS:
            raise ValueError(f"effort must be from 1 to {MAX_EFFORT}, not {effort}")
        extras = (img.icc or b"", img.exif or b"",
                  _alpha_bytes(img.alpha, img.bit_depth) if img.alpha is not None else b"")

        cache: Optional[dict] = None if target_bpp is None else {}

        def run(q: float, level: int = 1) -> bytes:
            h, tiles = self._tiles(img, q, tile, overlap, progress, cache, level)
            return pack(h, *extras, tiles)

        if target_bpp is None:
            q, (low, high) = f32(float(quality)), self.qualities
            if not low <= q <= high:
                raise ValueError(f"quality must be between {low} and {high}, not {quality}")
            return run(q, effort)
        if target_bpp <= 0:
            raise ValueError("target bpp must be positive")
        budget = target_bpp * img.width * img.height / 8
        q, best = self._search(run, budget)
        if effort == 1 or len(best) > budget:
            return best
        low = self.qualities[0]
        for step in _TARGET_RETRIES:
            if q - step < low:
                break
            data = run(f32(q - step), effort)
            if len(data) <= budget:
                return data
        return best

    def _search(self, run: Callable[[float], bytes], budget: float) -> tuple[float, bytes]:
        """(quality, file) of the highest quality whose file fits ``budget`` bytes, by bisection; the lowest
        quality's file when even that does not fit."""
        lo, hi = (float(q) for q in self.qualities)
        best = run(hi)
        if len(best) <= budget:
            return hi, best
        best = run(lo)
        if len(best) > budget:
            return lo, best             # the lowest rate is still above target: the smallest file we can make
        for _ in range(_TARGET_STEPS):
            mid = f32((lo + hi) / 2)
            data = run(mid)
            if len(data) <= budget:
                lo, best = mid, data
            else:
                hi = mid
        return lo, best

    # -- decode -----------------------------------------------------------------------------------------------
    def check(self, h: Header) -> None:
        if h.model_id != self.id or h.weights != self.weights_prefix:
            raise CodecFormatError(f"file was coded with {h.model_id} weights {h.weights.hex()}, "
                                   f"not {self.id} {self.weights_prefix.hex()}")
        low, high = self.qualities
        if not low <= h.quality <= high:
            raise CodecFormatError(f"quality {h.quality} is outside this model's range {low}-{high}")

    def decode(self, data: bytes, region: Optional[tuple[int, int, int, int]] = None,
               progress: Optional[Callable[[int, int], None]] = None) -> Image:
        """Decode a file (or only the pixels of ``region`` = (x, y, w, h), reading just the tiles it touches)."""
        h, streams = unpack(data)
        self.check(h)
        rx, ry, rw, rh = region if region is not None else (0, 0, h.width, h.height)
        if rw <= 0 or rh <= 0 or rx < 0 or ry < 0 or rx + rw > h.width or ry + rh > h.height:
            raise ValueError(f"region {rx},{ry},{rw},{rh} is not inside the {h.width}x{h.height} image")
        cols, rows = h.grid
        wanted = by_shape(h, [i for i in range(cols * rows) if _overlaps(h.coded_box(i), (rx, ry, rw, rh))])
        # every checksum is verified before any decoding work, so a damaged file fails at once
        icc = stream(h, streams, 0, "ICC profile") or None
        exif = stream(h, streams, 1, "EXIF block") or None
        alpha = None
        if h.alpha:
            alpha = _alpha_plane(stream(h, streams, 2, "alpha stream"), h)[:, ry:ry + rh, rx:rx + rw].clone()
        payloads = {i: stream(h, streams, 3 + i, f"tile {i}") for i in wanted}
        out = torch.zeros(3, rh, rw)
        weight = torch.zeros(1, rh, rw)
        trim = ShapeTrim()
        for k, i in enumerate(wanted):
            x, y, w, hh = h.coded_box(i)
            trim(_padded(h, i))
            try:
                y_hat = self.tile_latents(h, i, payloads.pop(i))
                t = self._transform(lambda y: self.net.synthesise(y, h.quality), y_hat)
            except (RuntimeError, ValueError) as e:
                raise CodecFormatError(f"tile {i} does not decode: {e}") from None
            t = t[0, :, :hh, :w].nan_to_num(0.0, 1.0, 0.0).clamp(0, 1)   # garbage streams can overflow
            t_w = blend_weights(h, i)
            x0, y0 = max(x, rx), max(y, ry)
            x1, y1 = min(x + w, rx + rw), min(y + hh, ry + rh)
            wt = t_w[:, y0 - y:y1 - y, x0 - x:x1 - x]
            out[:, y0 - ry:y1 - ry, x0 - rx:x1 - rx] += t[:, y0 - y:y1 - y, x0 - x:x1 - x] * wt
            weight[:, y0 - ry:y1 - ry, x0 - rx:x1 - rx] += wt
            if progress:
                progress(k + 1, len(wanted))
        out /= weight
        pixels = out.mean(0, keepdim=True) if h.channels == 1 else out
        return Image(pixels, alpha=alpha, bit_depth=h.bit_depth, icc=icc, exif=exif,
                     meta={"codec": h.model_id, "quality": h.quality})


def _ramp(start: int, n: int, cell: int, cell_len: int, limit: int, ov: int) -> torch.Tensor:
    """1-D weights of ``n`` coded pixels from ``start``: 1 inside the cell, falling linearly to 0 over the
    2·ov pixels centred on each cell edge that has a neighbour (measured from the cell, so the weights of two
    neighbours sum to 1 even where the image border clips a coded box)."""
    pos = torch.arange(start, start + n, dtype=torch.float64) + 0.5
    r = torch.ones(n, dtype=torch.float64)
    if ov:
        if cell > 0:
            r = torch.minimum(r, ((pos - (cell - ov)) / (2 * ov)).clamp(0, 1))
        if cell + cell_len < limit:
            r = torch.minimum(r, ((cell + cell_len + ov - pos) / (2 * ov)).clamp(0, 1))
    return r.float()


def blend_weights(h: Header, index: int) -> torch.Tensor:
    """1×h×w cross-fade weights of tile ``index``'s coded box; the weights of overlapping tiles sum to 1."""
    x, y, w, hh = h.coded_box(index)
    cx, cy, cw, ch = h.tile_box(index)
    wx = _ramp(x, w, cx, cw, h.width, h.overlap)
    wy = _ramp(y, hh, cy, ch, h.height, h.overlap)
    return (wy[:, None] * wx[None, :])[None]


def _padded(h: Header, index: int) -> tuple[int, int]:
    """(width, height) tile ``index`` is coded at: its coded box padded to a multiple of the stride."""
    _, _, w, hh = h.coded_box(index)
    return -(-w // STRIDE) * STRIDE, -(-hh // STRIDE) * STRIDE


def by_shape(h: Header, indexes: Iterable[int]) -> list[int]:
    """``indexes`` grouped by the padded shape of their tiles, groups in order of first appearance and raster
    order within each: the codec works through every tile of one shape before the next, so :class:`ShapeTrim`
    trims the kept heap once per shape instead of at every change along a row (a 3840×2160 photo has four
    shapes; raster order changed shape five times, each costing a 1024-px tile 2-3 s of page faults)."""
    groups: dict[tuple[int, int], list[int]] = {}
    for i in indexes:
        groups.setdefault(_padded(h, i), []).append(i)
    return [i for group in groups.values() for i in group]


def _overlaps(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


SPEC = register_task(TaskSpec(
    name="codec", model=LearnedCodec, default="codec", what="codec", train="train codec",
    recipe="restore.recipes.codec:CodecRecipe", trainer="restore.recipes.codec:train_codec",
    no_compile="its entropy parameters must stay bit-exact",
    limits="Variable-rate learned codec trained on the CPU for RGB photos (MSE). On Kodak its qualities 0-8 span about "
           "0.1-1.55 bpp (measured in BENCHMARKS.md); fractional qualities interpolate. Against WebP it still needs "
           "more bits at its lowest and highest qualities (BENCHMARKS.md). Alpha is kept losslessly in a separate "
           "stream; 16-bit images are coded at 8-bit precision."))
