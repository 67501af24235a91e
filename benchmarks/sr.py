"""Super-resolution benchmark: PSNR/SSIM-Y of bicubic and ours on the bench sets, speed and memory.

    python -m benchmarks.sr                # everything, writes the `sr` section of BENCHMARKS.md
    python -m benchmarks.sr --sets Set5 --scales 4 --no-speed --no-write

Conventions (BENCHMARK_PROTOCOL.md): HR mod-cropped, LR = MATLAB bicubic imresize rounded to uint8,
Y of MATLAB rgb2ycbcr rounded, ``scale`` pixels cropped from each border.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import torch

from benchmarks.common import bench_images, machine_line, median_time, table, timed_cli, write_section
from restore.degrade import bicubic_downscale, bicubic_upscale, mod_crop
from restore.metrics import psnr_y, ssim_y
from restore.recipes.data import load_rgb_u8

SETS = ["Set5", "Set14", "BSD100", "Urban100"]


def evaluate(model_name: str, sets: list[str], scales: list[int], precision: str) -> list[dict]:
    import restore

    rows = []
    for s in scales:
        model = restore.load(model_name or f"sr-x{s}", scale=s, precision=precision)
        for name in sets:
            acc = {"bicubic": [], "ours": []}
            secs = mp = 0.0
            for p in bench_images(name):
                hr = mod_crop(load_rgb_u8(p).float(), s)
                lr = bicubic_downscale(hr, s)
                bic = bicubic_upscale(lr, s)
                t = time.perf_counter()
                out = model.run_tensor(lr / 255).mul(255).round()
                secs += time.perf_counter() - t
                mp += hr.shape[-1] * hr.shape[-2] / 1e6
                acc["bicubic"].append((psnr_y(bic, hr, s), ssim_y(bic, hr, s)))
                acc["ours"].append((psnr_y(out, hr, s), ssim_y(out, hr, s)))
            for method, vals in acc.items():
                n = len(vals)
                rows.append({"set": name, "scale": s, "method": method, "n": n,
                             "psnr": sum(v[0] for v in vals) / n, "ssim": sum(v[1] for v in vals) / n,
                             "s_per_mp": secs / mp if method == "ours" else None})
            for r in rows[-2:]:
                print(json.dumps(r), flush=True)
    return rows


def speed_api(model_name: str, precision: str) -> dict:
    """In-process seconds for ×4 to a 1-megapixel output (250×250 → 1000×1000), median of 5."""
    import restore

    m = restore.load(model_name or "sr-x4", scale=4, precision=precision)
    x = torch.rand(3, 250, 250)
    t = median_time(lambda: m.run_tensor(x), runs=5)
    return {"x4_1mp_s": t, "precision": m.precision}


def speed_cli(precision: str) -> list[dict]:
    """Whole-process wall time and peak RSS of the CLI on a 1-MP-output ×4 job and a 4000×3000 ×2 job."""
    from PIL import Image as PILImage

    from restore.io import Image, write_image

    out = []
    with tempfile.TemporaryDirectory() as td:
        td = Path(td)
        src = load_rgb_u8(Path(__file__).resolve().parent.parent / "examples" / "astronaut.png")
        for name, (w, h), scale in [("250x250", (250, 250), 4), ("4000x3000", (4000, 3000), 2)]:
            arr = PILImage.fromarray(src.permute(1, 2, 0).numpy()).resize((w, h), PILImage.BICUBIC)
            path = td / f"in_{name}.png"
            write_image(Image.from_array(__import__("numpy").asarray(arr)), path)
            cmd = ["sr", "--scale", str(scale), "--precision", precision, "-q", str(path),
                   "-o", str(td / f"out_{name}.png")]
            wall, peak = timed_cli(cmd)           # this process alone (RUSAGE_CHILDREN kept the max of all)
            out.append({"job": f"{name} ×{scale}", "out_mp": w * h * scale * scale / 1e6, "wall_s": wall,
                        "peak_mib": peak, "cmd": " ".join(["restore"] + cmd)})
            print(json.dumps(out[-1]), flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default=",".join(SETS))
    ap.add_argument("--scales", default="2,3,4")
    ap.add_argument("--model", default=None, help="model id (default: the sr-xN aliases)")
    ap.add_argument("--precision", default="auto")
    ap.add_argument("--compare-fp32", action="store_true", help="also score fp32 on Set5/Set14")
    ap.add_argument("--no-speed", action="store_true")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    sets, scales = args.sets.split(","), [int(s) for s in args.scales.split(",")]
    t0 = time.time()
    rows = evaluate(args.model, sets, scales, args.precision)
    fp32_rows = evaluate(args.model, [s for s in sets if s in ("Set5", "Set14")], scales, "fp32") \
        if args.compare_fp32 else []
    speed = None if args.no_speed else (speed_api(args.model, args.precision), speed_cli(args.precision))
    if args.no_write:
        return
    import restore

    ids = sorted({restore.load(args.model or f"sr-x{s}", scale=s).id for s in scales})
    lines = ["## Super-resolution", "",
             "Command: `" + " ".join(["python -m benchmarks.sr", *sys.argv[1:]]) + "`", "",
             f"Model(s): {', '.join(ids)}; precision {args.precision}. Machine: {machine_line()}.",
             f"Total benchmark time {time.time() - t0:.0f} s. `s/MP`: in-process wall seconds of the model "
             "per output megapixel (tiling included, bicubic and metrics excluded).", "",
             "PSNR-Y / SSIM-Y (MATLAB bicubic degradation, scale-sized border crop). Urban100 = the 50 "
             "odd-numbered images in ../shared (not comparable with full-set papers).", ""]
    hdr = ["set", "scale", "bicubic PSNR", "ours PSNR", "gain dB", "bicubic SSIM", "ours SSIM", "ours s/MP"]
    body = []
    for s in scales:
        for name in sets:
            b = next(r for r in rows if r["set"] == name and r["scale"] == s and r["method"] == "bicubic")
            o = next(r for r in rows if r["set"] == name and r["scale"] == s and r["method"] == "ours")
            body.append([name, f"×{s}", b["psnr"], o["psnr"], o["psnr"] - b["psnr"],
                         f"{b['ssim']:.4f}", f"{o['ssim']:.4f}", f"{o['s_per_mp']:.3f}"])
    lines.append(table(hdr, body))
    if fp32_rows:
        lines += ["", "bf16 autocast vs fp32 (same weights), PSNR-Y:", ""]
        cmp_rows = []
        for r in fp32_rows:
            if r["method"] != "ours":
                continue
            a = next(x for x in rows if x["set"] == r["set"] and x["scale"] == r["scale"] and x["method"] == "ours")
            cmp_rows.append([r["set"], f"×{r['scale']}", a["psnr"], r["psnr"], f"{a['psnr'] - r['psnr']:+.3f}"])
        lines.append(table(["set", "scale", f"{args.precision}", "fp32", "difference"], cmp_rows))
    if speed:
        api, cli_rows = speed
        lines += ["", f"Speed: ×4 to a 1-megapixel output in-process: **{api['x4_1mp_s']:.2f} s** "
                      f"(median of 5, {api['precision']}).", ""]
        lines.append(table(["CLI job (whole process)", "output MP", "wall s", "peak RSS MiB"],
                           [[r["job"], r["out_mp"], r["wall_s"], f"{r['peak_mib']:.0f}"] for r in cli_rows]))
        lines += ["", "CLI commands: " + "; ".join(f"`{r['cmd']}`" for r in cli_rows)]
    write_section("sr", "\n".join(lines))
    record_metrics(args.model, rows, scales, speed[0] if speed else None)


def record_metrics(model_name: str | None, rows: list[dict], scales: list[int], api: dict | None) -> None:
    """Store the measured numbers in the model's manifest entry (shown by `restore models`)."""
    from restore.weights import Manifest

    man = Manifest()
    for s in scales:
        entry, _ = man.resolve(model_name or f"sr-x{s}")
        for r in rows:
            if r["scale"] == s and r["method"] == "ours":
                entry.metrics[f"{r['set']}_x{s}_psnr_y"] = round(r["psnr"], 2)
                entry.metrics[f"{r['set']}_x{s}_ssim_y"] = round(r["ssim"], 4)
        if api and s == 4:
            entry.metrics["x4_1mp_output_seconds"] = round(api["x4_1mp_s"], 3)
    man.save()


if __name__ == "__main__":
    main()
