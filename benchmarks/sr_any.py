"""Arbitrary-scale SR on the bench sets: ours (``sr-any``) against bicubic at non-integer and asymmetric scales.

    python -m benchmarks.sr_any                       # writes the `sr-any` section of BENCHMARKS.md
    python -m benchmarks.sr_any --sets Set5 --no-write

Protocol (as for integer scales): the HR image is cropped so that every side divides into a whole number of
LR pixels at the scale where possible (HR side = floor(side / s) · s rounded to an integer), the LR image is
its MATLAB-bicubic downscale to ceil(HR / s) rounded to uint8, both methods upscale it back to exactly the HR
size, and PSNR/SSIM are measured on the Y channel with a border of ceil(max scale) pixels cropped.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time

import torch

from benchmarks.common import bench_images, machine_line, table, write_section
from restore.metrics import psnr_y, ssim_y
from restore.resize import imresize
from restore.recipes.data import load_rgb_u8

SETS = ["Set5", "Set14", "BSD100", "Urban100"]
SCALES = [(1.5, 1.5), (2.5, 2.5), (3.5, 3.5), (2.0, 3.5)]


def pair(hr: torch.Tensor, sy: float, sx: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(HR cropped to whole LR pixels where possible, LR 0-255 uint8-rounded float) for (vertical, horizontal)."""
    h, w = hr.shape[-2:]
    lh, lw = math.floor(h / sy), math.floor(w / sx)
    hh, ww = min(h, round(lh * sy)), min(w, round(lw * sx))
    hr = hr[..., :hh, :ww]
    lr = imresize(hr, size=(math.ceil(hh / sy), math.ceil(ww / sx))).round().clamp(0, 255)
    return hr, lr


def evaluate(model: str, sets: list[str], scales: list[tuple[float, float]], precision: str) -> list[dict]:
    import restore

    m = restore.load(model, precision=precision)
    rows = []
    for sy, sx in scales:
        border = math.ceil(max(sy, sx))
        for name in sets:
            acc = {"bicubic": [], "ours": []}
            secs = mp = 0.0
            for p in bench_images(name):
                hr, lr = pair(load_rgb_u8(p).float(), sy, sx)
                size = tuple(hr.shape[-2:])
                bic = imresize(lr, size=size).round().clamp(0, 255)
                t = time.perf_counter()
                out = m.upscale_tensor(lr / 255, size).mul(255).round()
                secs += time.perf_counter() - t
                mp += size[0] * size[1] / 1e6
                for k, v in (("bicubic", bic), ("ours", out)):
                    acc[k].append((psnr_y(v, hr, border), ssim_y(v, hr, border)))
            for method, vals in acc.items():
                n = len(vals)
                rows.append({"set": name, "scale": f"×{sy:g}" if sy == sx else f"×{sy:g} (v) ×{sx:g} (h)",
                             "method": method, "n": n, "psnr": sum(v[0] for v in vals) / n,
                             "ssim": sum(v[1] for v in vals) / n, "s_per_mp": secs / mp if method == "ours" else None})
            for r in rows[-2:]:
                print(json.dumps(r), flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default=",".join(SETS))
    ap.add_argument("--model", default="sr-any")
    ap.add_argument("--precision", default="auto")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    import restore

    t0 = time.time()
    rows = evaluate(args.model, args.sets.split(","), SCALES, args.precision)
    if args.no_write:
        return
    entry = restore.load(args.model).entry
    body = []
    for sc in dict.fromkeys(r["scale"] for r in rows):
        for name in args.sets.split(","):
            b = next(r for r in rows if r["set"] == name and r["scale"] == sc and r["method"] == "bicubic")
            o = next(r for r in rows if r["set"] == name and r["scale"] == sc and r["method"] == "ours")
            body.append([name, sc, b["psnr"], o["psnr"], o["psnr"] - b["psnr"], f"{b['ssim']:.4f}",
                         f"{o['ssim']:.4f}", f"{o['s_per_mp']:.3f}"])
    lines = ["## Arbitrary-scale super-resolution", "",
             "Command: `" + " ".join(["python -m benchmarks.sr_any", *sys.argv[1:]]) + "`", "",
             f"Model {entry.id} ({entry.training.get('steps', '?')} steps, "
             f"{entry.training.get('cpu_minutes', '?')} CPU-minutes); precision {args.precision}. "
             f"Machine: {machine_line()}. Total {time.time() - t0:.0f} s.", "",
             "PSNR-Y / SSIM-Y, MATLAB bicubic degradation to ceil(HR / scale), border ceil(max scale). "
             "`s/MP`: in-process seconds per output megapixel.", "",
             table(["set", "scale", "bicubic PSNR", "ours PSNR", "gain dB", "bicubic SSIM", "ours SSIM",
                    "ours s/MP"], body)]
    write_section("sr-any", "\n".join(lines))


if __name__ == "__main__":
    main()
