"""Learned codec against JPEG, WebP, AVIF and JPEG XL on Kodak24, all in one run.

    python -m benchmarks.codec                 # all 24 images; writes BENCHMARKS.md and benchmarks/results/
    python -m benchmarks.codec --limit 3 --no-write --skip-uhd   # a quick look

Rates are the sizes of the complete files each codec writes (our ``.rst`` container with its header, tile
table and checksums; the classical codecs' own files), 8·bytes/(H·W), averaged over images per setting.
Distortion is RGB PSNR over the whole image and RGB MS-SSIM. BD-rate follows BENCHMARK_PROTOCOL.md: PCHIP
interpolation of log-rate over PSNR, on the overlapping PSNR range. Needs the ``bench`` extra (imagecodecs
for JPEG XL, matplotlib for the plot).
"""
from __future__ import annotations

import argparse
import io
import json
import math
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from benchmarks.common import ROOT, bench_images, machine_line, table, timed_cli, write_section
from restore.metrics import bd_rate, bpp, ms_ssim, psnr
from restore.runtime import keep_heap
from restore.weights import Manifest

RESULTS = ROOT / "benchmarks" / "results"
OURS = "restore (ours)"


@dataclass
class Curve:
    """One codec's RD points: per setting, mean bpp / PSNR / MS-SSIM and seconds per image."""
    name: str
    settings: list = field(default_factory=list)
    bpp: list = field(default_factory=list)
    psnr: list = field(default_factory=list)
    msssim: list = field(default_factory=list)
    enc_s: list = field(default_factory=list)
    dec_s: list = field(default_factory=list)


# -- metrics ----------------------------------------------------------------------------------------------------
def psnr_rgb(a: np.ndarray, b: np.ndarray) -> float:
    return psnr(torch.from_numpy(a), torch.from_numpy(b))


def ms_ssim_rgb(a: np.ndarray, b: np.ndarray) -> float:
    return ms_ssim(torch.from_numpy(a).permute(2, 0, 1), torch.from_numpy(b).permute(2, 0, 1))


def _db(msssim: list) -> list:
    """MS-SSIM in dB, -10·log10(1 - MS-SSIM), the usual scale for BD-rates and plots."""
    return [-10 * math.log10(max(1 - m, 1e-10)) for m in msssim]


def rate_at(curve: Curve, psnr: float) -> float:
    """The curve's bpp at a PSNR inside its range (PCHIP in log-rate), NaN outside it."""
    from scipy.interpolate import PchipInterpolator

    order = np.argsort(curve.psnr)
    p, lr = np.asarray(curve.psnr)[order], np.log(np.asarray(curve.bpp))[order]
    if not p[0] <= psnr <= p[-1]:
        return float("nan")
    return float(math.exp(PchipInterpolator(p, lr)(psnr)))


# -- codecs -----------------------------------------------------------------------------------------------------
Coder = Callable[[np.ndarray, object], tuple[bytes, Callable[[bytes], np.ndarray]]]


def _pil(fmt: str, key: str, **opts) -> Callable:
    from PIL import Image as P

    def encode(arr: np.ndarray, setting) -> bytes:
        buf = io.BytesIO()
        P.fromarray(arr).save(buf, fmt, **{key: setting}, **opts)
        return buf.getvalue()

    def decode(data: bytes) -> np.ndarray:
        return np.asarray(P.open(io.BytesIO(data)).convert("RGB"))

    return encode, decode


def _jxl() -> tuple[Callable, Callable]:
    import imagecodecs

    return (lambda arr, d: imagecodecs.jpegxl_encode(arr, effort=7, distance=d),
            lambda data: imagecodecs.jpegxl_decode(data))


def classical() -> dict[str, tuple[Callable, Callable, list]]:
    out = {
        "JPEG 4:4:4": (*_pil("JPEG", "quality", subsampling=0), [5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95]),
        "JPEG 4:2:0": (*_pil("JPEG", "quality", subsampling=2), [5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95]),
        "WebP": (*_pil("WEBP", "quality", method=6), [0, 2, 5, 10, 20, 30, 40, 50, 60, 70, 80, 85, 90, 95]),
        "AVIF": (*_pil("AVIF", "quality", speed=4), [10, 20, 30, 40, 50, 60, 70, 85]),
    }
    try:
        out["JPEG XL"] = (*_jxl(), [12.0, 8.0, 6.0, 4.0, 3.0, 2.0, 1.5, 1.0, 0.7, 0.5])
    except ImportError:
        print("imagecodecs is not installed: JPEG XL skipped (pip install -e '.[bench]')", file=sys.stderr)
    return out


def measure(name: str, encode: Callable, decode: Callable, settings: list, images: list[np.ndarray]) -> Curve:
    c = Curve(name)
    for s in settings:
        rates, ps, ms, te, td = [], [], [], [], []
        for arr in images:
            t0 = time.perf_counter()
            data = encode(arr, s)
            t1 = time.perf_counter()
            out = decode(data)
            t2 = time.perf_counter()
            rates.append(bpp(len(data), *arr.shape[:2]))
            ps.append(psnr_rgb(out, arr))
            ms.append(ms_ssim_rgb(out, arr))
            te.append(t1 - t0)
            td.append(t2 - t1)
        c.settings.append(s)
        for lst, v in ((c.bpp, rates), (c.psnr, ps), (c.msssim, ms), (c.enc_s, te), (c.dec_s, td)):
            lst.append(float(np.mean(v)))
        print(f"{name:12s} {s!s:>5}: {c.bpp[-1]:.3f} bpp  {c.psnr[-1]:.2f} dB  MS-SSIM {c.msssim[-1]:.4f}  "
              f"enc {c.enc_s[-1]:.2f}s dec {c.dec_s[-1]:.2f}s", file=sys.stderr, flush=True)
    return c


def ours(model: str, qualities: list[float] | None) -> tuple[Callable, Callable, list]:
    """Our encoder and decoder at ``qualities`` (default: every whole quality of the model)."""
    from restore.api import load
    from restore.io import Image

    codec = load(model)
    if qualities is None:
        low, high = codec.qualities
        qualities = [float(q) for q in range(low, high + 1)]
    return (lambda arr, q: codec.encode(Image.from_array(arr), quality=q),
            lambda data: codec.decode(data).to_array(), qualities)


# -- tile seams -------------------------------------------------------------------------------------------------
def seam_check(model: str, images: list[np.ndarray], tile: int = 256, quality: float = 4.0,
               band: int = 4, overlaps: tuple[int, ...] = (0, 16)) -> list[list]:
    """Independent tiles vs one tile per image: rate, PSNR, and PSNR in the band of pixels next to seams."""
    from restore.api import load
    from restore.io import Image

    from restore.codecs.container import unpack

    codec = load(model)
    runs = [(f"{tile}×{tile} tiles, overlap {o}", o) for o in overlaps]
    acc = {name: {k: [] for k in ("bpp", "psnr", "seam", "rest", "ref_seam", "ref_bpp", "ref_psnr")}
           for name, _ in runs}
    for arr in images:
        h, w = arr.shape[:2]
        ref = codec.encode(Image.from_array(arr), quality=quality, tile=1024)
        ref_err = ((codec.decode(ref).to_array().astype(np.float64) - arr) ** 2).mean(2)
        for name, o in runs:
            data = codec.encode(Image.from_array(arr), quality=quality, tile=tile, overlap=o)
            hdr, _ = unpack(data)
            near = np.zeros((h, w), bool)            # pixels within ``band`` of a cell boundary
            for x in range(hdr.tile_w, w, hdr.tile_w):
                near[:, x - band:x + band] = True
            for y in range(hdr.tile_h, h, hdr.tile_h):
                near[y - band:y + band, :] = True
            err = ((codec.decode(data).to_array().astype(np.float64) - arr) ** 2).mean(2)
            db = lambda e: 10 * math.log10(255 ** 2 / e.mean())  # noqa: E731
            a = acc[name]
            for k, v in (("bpp", 8 * len(data) / (h * w)), ("psnr", db(err)), ("seam", db(err[near])),
                         ("rest", db(err[~near])), ("ref_seam", db(ref_err[near])),
                         ("ref_bpp", 8 * len(ref) / (h * w)), ("ref_psnr", db(ref_err))):
                a[k].append(v)
    m = {name: {k: float(np.mean(v)) for k, v in a.items()} for name, a in acc.items()}
    first = next(iter(m.values()))
    rows = [["whole image (1 tile)", f"{first['ref_bpp']:.3f}", f"{first['ref_psnr']:.2f}", "–", "–"]]
    rows += [[name, f"{a['bpp']:.3f}", f"{a['psnr']:.2f}", f"{a['seam']:.2f} (untiled: {a['ref_seam']:.2f})",
              f"{a['rest']:.2f}"] for name, a in m.items()]
    return rows


# -- UHD memory -------------------------------------------------------------------------------------------------
def uhd_run(src: Path, model: str) -> list[list]:
    """CLI encode + decode of a 3840×2160 photo under /usr/bin/time -v: wall seconds and peak RSS."""
    from PIL import Image as P

    rows = []
    with tempfile.TemporaryDirectory() as d:
        big = Path(d) / "uhd.png"
        P.open(src).convert("RGB").resize((3840, 2160), P.Resampling.LANCZOS).save(big)
        for cmd in (["encode", "-q", "4", "-m", model, str(big), "-o", f"{d}/uhd.rst", "--quiet"],
                    ["decode", f"{d}/uhd.rst", "-o", f"{d}/back.png", "--quiet"]):
            wall, rss = timed_cli(cmd)
            extra = f"{8 * os.path.getsize(f'{d}/uhd.rst') / (3840 * 2160):.3f} bpp" if cmd[0] == "encode" else ""
            rows.append([f"restore {cmd[0]} (3840×2160, 1024-px tiles)", f"{wall:.1f}", f"{rss / 1024:.2f}",
                         extra])
    return rows


# -- report -----------------------------------------------------------------------------------------------------
def report(curves: list[Curve], n_images: int, uhd: list[list], seams: list[list], command: str,
           plot: Path, model: str) -> str:
    mine = next(c for c in curves if c.name == OURS)
    others = [c for c in curves if c.name != OURS]
    entry, _ = Manifest().resolve(model)
    lines = [f"Kodak24 ({n_images} images), {machine_line()}. Command: `{command}`", "",
             f"Model `{entry.id}` ({entry.training.get('steps', 0)} steps, "
             f"{entry.training.get('cpu_minutes', 0):.0f} CPU-minutes of training).", "",
             f"RD curves: [{plot.relative_to(ROOT)}]({plot.relative_to(ROOT)})", "",
             "**BD-rate of ours against each codec** (negative = we need fewer bits for the same quality; "
             "PCHIP, overlapping range):", ""]
    rows = []
    for c in others:
        per_point = []
        for b, p in zip(mine.bpp, mine.psnr):
            r = rate_at(c, p)
            per_point.append("–" if math.isnan(r) else f"{(b / r - 1) * 100:+.0f}%")
        rows.append([c.name, f"{bd_rate(c.bpp, c.psnr, mine.bpp, mine.psnr):+.1f}%",
                     f"{bd_rate(c.bpp, _db(c.msssim), mine.bpp, _db(mine.msssim)):+.1f}%", " ".join(per_point)])
    span = f"q{mine.settings[0]:g}→q{mine.settings[-1]:g}"
    lines += [table(["against", "BD-rate (PSNR)", "BD-rate (MS-SSIM)",
                     f"our rate vs theirs at each of our points, {span} (– = outside their range)"], rows), ""]
    heap = "the C heap kept for reuse, as the CLI keeps it" if keep_heap() else "the C heap as the platform has it"
    lines += [f"**Our points** (mean over images; seconds per image, 2 threads, default `--precision auto`, {heap}):",
              ""]
    lines += [table(["quality", "bpp", "PSNR", "MS-SSIM", "encode s", "decode s"],
                    [[s, f"{b:.3f}", f"{p:.2f}", f"{m:.4f}", f"{e:.2f}", f"{d:.2f}"]
                     for s, b, p, m, e, d in zip(mine.settings, mine.bpp, mine.psnr, mine.msssim, mine.enc_s,
                                                 mine.dec_s)]), ""]
    lines += ["**Anchors** (setting: bpp / PSNR):", ""]
    lines += [table(["codec", "points", "encode s", "decode s"],
                    [[c.name, ", ".join(f"{s}: {b:.2f}/{p:.1f}" for s, b, p in zip(c.settings, c.bpp, c.psnr)),
                      f"{np.mean(c.enc_s):.3f}", f"{np.mean(c.dec_s):.3f}"] for c in others]), ""]
    if seams:
        lines += ["**Tile seams** (quality 4, Kodak cut into 256-px tiles to force many seams; PSNR of the "
                  "pixels within 4 px of a cell boundary, and of the same pixels coded without tiling):", ""]
        lines += [table(["coding", "bpp", "PSNR", "PSNR at seams", "PSNR elsewhere"], seams), ""]
    if uhd:
        lines += ["**UHD through the CLI** (whole process, `/usr/bin/time -v`):", ""]
        lines += [table(["job", "wall s", "peak RSS GB", "rate"], uhd), ""]
    return "\n".join(lines)


def plot_curves(curves: list[Curve], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8))
    for c in curves:
        style = dict(lw=2.5, color="k") if c.name == OURS else dict(lw=1.2)
        axes[0].plot(c.bpp, c.psnr, marker="o", ms=3, label=c.name, **style)
        axes[1].plot(c.bpp, _db(c.msssim), marker="o", ms=3, label=c.name, **style)
    for ax, ylabel in zip(axes, ["RGB PSNR (dB)", "MS-SSIM (dB)"]):
        ax.set_xlim(0, 2.0)
        ax.set_xlabel("bits per pixel (real file sizes)")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
    axes[0].set_ylim(24, 42)
    axes[0].legend()
    axes[0].set_title("Kodak24")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def record_metrics(model: str, curves: list[Curve]) -> None:
    """Store the Kodak24 points and BD-rates in the model's manifest entry (shown by ``restore models``)."""
    man = Manifest()
    entry, _ = man.resolve(model)
    mine = next(c for c in curves if c.name == OURS)
    for q, b, p, e, d in zip(mine.settings, mine.bpp, mine.psnr, mine.enc_s, mine.dec_s):
        entry.metrics[f"kodak24_q{q:g}_bpp"] = round(b, 4)
        entry.metrics[f"kodak24_q{q:g}_psnr"] = round(p, 2)
    entry.metrics["kodak24_encode_s_max"] = round(max(mine.enc_s), 2)
    entry.metrics["kodak24_decode_s_max"] = round(max(mine.dec_s), 2)
    for c in curves:
        if c is not mine:
            key = c.name.lower().replace(" ", "_").replace(":", "")
            entry.metrics[f"kodak24_bd_rate_vs_{key}"] = round(bd_rate(c.bpp, c.psnr, mine.bpp, mine.psnr), 1)
    man.save()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="codec")
    ap.add_argument("--qualities", default=None, help="our quality levels (default: every whole one)")
    ap.add_argument("--limit", type=int, default=0, help="only the first N images")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--skip-uhd", action="store_true")
    ap.add_argument("--no-write", action="store_true", help="print, do not update BENCHMARKS.md / results")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    keep_heap()                                         # what the CLI does (restore.runtime.keep_heap)
    from PIL import Image as P

    paths = bench_images("Kodak24")[:args.limit or None]
    images = [np.asarray(P.open(p).convert("RGB")) for p in paths]
    qualities = [float(q) for q in args.qualities.split(",")] if args.qualities else None
    curves = [measure(OURS, *ours(args.model, qualities), images)]
    for name, (enc, dec, settings) in classical().items():
        curves.append(measure(name, enc, dec, settings, images))
    seams = seam_check(args.model, images)
    uhd = [] if args.skip_uhd else uhd_run(paths[-1], args.model)
    command = "python -m benchmarks.codec " + " ".join(argv if argv is not None else sys.argv[1:])
    plot = RESULTS / "codec_rd.png"
    body = report(curves, len(images), uhd, seams, command.strip(), plot, args.model)
    print(body)
    if not args.no_write:
        plot_curves(curves, plot)
        (RESULTS / "codec.json").write_text(json.dumps([vars(c) for c in curves], indent=1))
        write_section("codec", "## Learned codec (Kodak24)\n\n" + body)
        record_metrics(args.model, curves)


if __name__ == "__main__":
    main()
