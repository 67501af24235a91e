"""Super-resolution of photos as people have them: JPEG-compressed LR images and real camera pairs.

    python -m benchmarks.sr_real                  # everything; writes the `sr_real` section of BENCHMARKS.md
    python -m benchmarks.sr_real --calibrate      # the auto-choice measures on held-out *training* images
    python -m benchmarks.sr_real --choose         # the JPEG route (real-input model or dejpeg + clean), same data
    python -m benchmarks.sr_real --sets LIVE1 --scales 4 --qualities 60 --no-city --no-write

JPEG inputs: HR mod-cropped, MATLAB-bicubic downscaled and rounded, saved by Pillow as a 4:2:0 JPEG of quality q,
read back as a file (so its tables are there, as for `restore sr photo.jpg`). City100 iPhone X: the LR shot is
registered at the HR size; it is halved with MATLAB bicubic and upscaled ×2, PSNR-Y with an 8-pixel border.
Every score is PSNR-Y on the rounded output with a scale-sized border (8 for City100), bicubic of the same input
as the reference in the same run.
"""
from __future__ import annotations

import argparse
import io
import json
import sys

import numpy as np
import torch
from PIL import Image as PILImage

from benchmarks.common import BENCH_DIR, bench_images, machine_line, table, write_section
from restore.degrade import bicubic_downscale, bicubic_upscale, mod_crop
from restore.metrics import psnr_y
from restore.recipes.data import load_rgb_u8

QUALITIES = (40, 60, 80)


def as_jpeg_file(lr: torch.Tensor, quality: int):
    """An LR 0-255 tensor saved as a 4:2:0 JPEG and read back as a file is (an Image with its tables)."""
    from restore.io import read_image

    import tempfile
    from pathlib import Path

    buf = io.BytesIO()
    PILImage.fromarray(lr.round().clamp(0, 255).byte().permute(1, 2, 0).numpy()).save(buf, "JPEG", quality=quality)
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "lr.jpg"
        p.write_bytes(buf.getvalue())
        return read_image(p)


def methods(scale: int, precision: str) -> dict:
    """name → callable(Image) → (output 0-255 tensor, what ran)."""
    import restore
    from restore.api import sr_model

    def wrap(m):
        def run(img):
            res = m(img)
            return res.pixels * 255, res.meta.get("model", m.id)
        return run

    out = {"clean model": wrap(sr_model(scale, precision=precision, degradation="clean")[0])}
    try:                                        # a real-input SR model, where one is installed
        out["real-input SR model"] = wrap(restore.load(f"sr-real-x{scale}", scale=scale, precision=precision))
    except KeyError:
        pass
    out["default (auto)"] = wrap(sr_model(scale, precision=precision, degradation="auto")[0])
    return out


def choose_on_validation(scales=(2, 4), quality: int = 60) -> None:
    """The JPEG route of the default, decided on held-out *training* crops (never on the benchmark): the
    real-input model against dejpeg followed by the clean model, PSNR-Y gain over bicubic of the JPEG."""
    import restore
    from restore.recipes.data import default_train_dirs, find_images, split_train_val

    _, val = split_train_val(find_images(default_train_dirs()))
    dj = restore.load("dejpeg")
    for s in scales:
        clean, real = restore.load(f"sr-x{s}", scale=s), restore.load(f"sr-real-x{s}", scale=s)
        acc: dict[str, list] = {"clean model": [], "real-input model": [], "dejpeg, then clean model": []}
        for p in val:
            hr = mod_crop(load_rgb_u8(p)[:, :384, :384].float(), s)
            lr = as_jpeg_file(bicubic_downscale(hr, s), quality)
            base = psnr_y(bicubic_upscale(lr.pixels * 255, s), hr, s)
            acc["clean model"].append(psnr_y(clean(lr).pixels.mul(255).round(), hr, s) - base)
            acc["real-input model"].append(psnr_y(real(lr).pixels.mul(255).round(), hr, s) - base)
            acc["dejpeg, then clean model"].append(psnr_y(clean(dj(lr)).pixels.mul(255).round(), hr, s) - base)
        print(f"×{s} JPEG q{quality}, {len(val)} held-out training crops, gain over bicubic: "
              + ", ".join(f"{k} {sum(v) / len(v):+.3f}" for k, v in acc.items()), flush=True)


def jpeg_rows(sets: list[str], scales: list[int], qualities: list[int], precision: str) -> list[dict]:
    rows = []
    for s in scales:
        run = methods(s, precision)
        for name in sets:
            hrs = [mod_crop(load_rgb_u8(p).float(), s) for p in bench_images(name)]
            for q in qualities:
                acc: dict[str, list] = {"bicubic of the JPEG": []} | {k: [] for k in run}
                picks: dict[str, int] = {}
                for hr in hrs:
                    img = as_jpeg_file(bicubic_downscale(hr, s), q)
                    acc["bicubic of the JPEG"].append(psnr_y(bicubic_upscale(img.pixels * 255, s), hr, s))
                    for k, fn in run.items():
                        out, note = fn(img)
                        acc[k].append(psnr_y(out.round(), hr, s))
                        if k == "default (auto)":
                            picks[note] = picks.get(note, 0) + 1
                for k, v in acc.items():
                    rows.append({"set": name, "scale": s, "q": q, "method": k, "n": len(v), "psnr_y": float(np.mean(v)),
                                 "picks": picks if k == "default (auto)" else None})
                    print(json.dumps(rows[-1]), flush=True)
    return rows


def city100_rows(precision: str) -> list[dict]:
    """The City100 iPhone X pairs at ×2 (see the module docstring)."""
    from restore.io import Image

    d = BENCH_DIR / "City100_iPhoneX"
    pairs = sorted(zip(sorted((d / "hr").iterdir()), sorted((d / "lr").iterdir())))
    run = methods(2, precision)
    acc: dict[str, list] = {"bicubic": []} | {k: [] for k in run}
    picks: dict[str, int] = {}
    for hp, lp in pairs:
        hr = mod_crop(load_rgb_u8(hp).float(), 2)
        lr = bicubic_downscale(mod_crop(load_rgb_u8(lp).float(), 2), 2)
        acc["bicubic"].append(psnr_y(bicubic_upscale(lr, 2), hr, 8))
        img = Image(lr / 255)
        for k, fn in run.items():
            out, note = fn(img)
            acc[k].append(psnr_y(out.round(), hr, 8))
            if k == "default (auto)":
                picks[note] = picks.get(note, 0) + 1
    rows = [{"set": "City100_iPhoneX", "scale": 2, "method": k, "n": len(v), "psnr_y": float(np.mean(v)),
             "picks": picks if k == "default (auto)" else None} for k, v in acc.items()]
    for r in rows:
        print(json.dumps(r), flush=True)
    return rows


def clean_rows(sets: list[str], scales: list[int], precision: str) -> list[dict]:
    """The bicubic protocol (clean PNG inputs): the clean model against the default (auto), which must match."""
    from restore.io import Image

    rows = []
    for s in scales:
        run = {k: v for k, v in methods(s, precision).items() if k in ("clean model", "default (auto)")}
        for name in sets:
            acc: dict[str, list] = {k: [] for k in run}
            for p in bench_images(name):
                hr = mod_crop(load_rgb_u8(p).float(), s)
                img = Image(bicubic_downscale(hr, s) / 255)
                for k, fn in run.items():
                    acc[k].append(psnr_y(fn(img)[0].round(), hr, s))
            for k, v in acc.items():
                rows.append({"set": name, "scale": s, "method": k, "n": len(v), "psnr_y": float(np.mean(v))})
                print(json.dumps(rows[-1]), flush=True)
    return rows


def calibrate(scales=(2, 4)) -> None:
    """Print the auto-choice measure (blockiness) on held-out training images: clean bicubic LR, the same saved as
    JPEG, and with mild noise, so the threshold in restore.tasks.sr_auto can be read off."""
    from restore.degrade.noise import gaussian_noise
    from restore.io import Image
    from restore.recipes.data import default_train_dirs, find_images, split_train_val
    from restore.tasks.sr_auto import blockiness, probe

    _, val = split_train_val(find_images(default_train_dirs()))
    cases: dict[str, list] = {}
    for i, p in enumerate(val):
        hr = load_rgb_u8(p).float()
        for s in scales:
            lr = bicubic_downscale(mod_crop(hr, s), s)
            variants = {"clean": Image(lr / 255)}
            for q in (50, 70, 90, 95):
                variants[f"jpeg q{q}"] = Image(as_jpeg_file(lr, q).pixels)        # pixels only: no tables
            for sig in (2, 4):
                n = gaussian_noise(lr / 255, sig / 255, torch.Generator().manual_seed(i)).clamp(0, 1)
                variants[f"noise σ{sig}"] = Image(n.mul(255).round().div(255))
            for k, img in variants.items():
                y = probe(img.pixels)
                cases.setdefault(k, []).append(blockiness(y))
    print("blockiness percentiles 0 / 10 / 50 / 90 / 100")
    for k, v in cases.items():
        print(f"{k:12s} {np.percentile(np.array(v), [0, 10, 50, 90, 100]).round(3)}")


def render(jpeg: list[dict], city: list[dict], clean: list[dict], command: str) -> str:
    lines = ["## Super-resolution of real inputs (JPEG photos, camera pairs)", "",
             f"`{command}` on {machine_line()}. PSNR-Y (dB), scale-sized border; the JPEG rows feed each method "
             "the same JPEG file (MATLAB-bicubic LR saved by Pillow at quality q, 4:2:0), City100 as the protocol "
             "says. \"default (auto)\" is what `restore sr` runs: per image, JPEG files and images with 8×8 "
             "blocking through `dejpeg` and then the clean model, the rest through the clean model.", ""]
    if jpeg:
        keys = list(dict.fromkeys((r["set"], r["scale"], r["q"]) for r in jpeg))
        names = list(dict.fromkeys(r["method"] for r in jpeg))
        body = []
        for k in keys:
            base = next(r["psnr_y"] for r in jpeg if (r["set"], r["scale"], r["q"]) == k
                        and r["method"] == "bicubic of the JPEG")
            cells = []
            for m in names:
                r = next(r for r in jpeg if (r["set"], r["scale"], r["q"]) == k and r["method"] == m)
                cells.append(f"{r['psnr_y']:.2f}" + ("" if m.startswith("bicubic") else f" ({r['psnr_y'] - base:+.2f})"))
            body.append([k[0], f"×{k[1]}", f"q{k[2]}"] + cells)
        lines += [table(["set", "scale", "JPEG"] + names, body), ""]
    if city:
        base = next(r["psnr_y"] for r in city if r["method"] == "bicubic")
        body = [[r["method"], f"{r['psnr_y']:.2f}", f"{r['psnr_y'] - base:+.2f}"] for r in city]
        picks = next((r["picks"] for r in city if r["picks"]), None)
        lines += [f"**City100 iPhone X** (n = {city[0]['n']}, ×2, 8-px border)", "",
                  table(["method", "PSNR-Y", "vs bicubic"], body), ""]
        if picks:
            lines += ["The default chose: " + ", ".join(f"{k} × {v}" for k, v in picks.items()), ""]
    if clean:
        body = []
        for k in dict.fromkeys((r["set"], r["scale"]) for r in clean):
            vals = {r["method"]: r["psnr_y"] for r in clean if (r["set"], r["scale"]) == k}
            body.append([k[0], f"×{k[1]}", f"{vals['clean model']:.2f}", f"{vals.get('default (auto)', float('nan')):.2f}"])
        lines += ["**Clean inputs** (the bicubic protocol, PNG): the default must equal the clean model", "",
                  table(["set", "scale", "clean model", "default (auto)"], body), ""]
    return "\n".join(lines)


def figure(precision: str) -> str:
    """A JPEG q40 photo (the astronaut example, ×4): bicubic of the JPEG | clean model | default | original."""
    from benchmarks.synthetic import example, figure as save_figure
    from restore.api import sr_model

    hr = mod_crop(example("astronaut.png") * 255, 4)
    img = as_jpeg_file(bicubic_downscale(hr, 4), 40)
    clean, _ = sr_model(4, precision=precision, degradation="clean")
    auto, _ = sr_model(4, precision=precision, degradation="auto")
    rows = [[("JPEG q40, bicubic x4", bicubic_upscale(img.pixels * 255, 4) / 255),
             ("clean model", clean(img).pixels), ("restore sr (default)", auto(img).pixels), ("original", hr / 255)]]
    return save_figure("sr_real", rows, box=(40, 150, 200))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default="LIVE1,Kodak24")
    ap.add_argument("--scales", default="2,4")
    ap.add_argument("--qualities", default=",".join(map(str, QUALITIES)))
    ap.add_argument("--clean-sets", default="Set5,Set14")
    ap.add_argument("--precision", default="auto")
    ap.add_argument("--no-city", action="store_true")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--calibrate", action="store_true", help="the auto-choice measures on held-out training images")
    ap.add_argument("--choose", action="store_true", help="the JPEG route, compared on held-out training crops")
    a = ap.parse_args()
    if a.calibrate:
        calibrate()
        return
    if a.choose:
        choose_on_validation()
        return
    scales = [int(s) for s in a.scales.split(",")]
    jpeg = jpeg_rows(a.sets.split(","), scales, [int(q) for q in a.qualities.split(",")], a.precision)
    city = [] if a.no_city else city100_rows(a.precision)
    clean = clean_rows(a.clean_sets.split(","), scales, a.precision) if a.clean_sets else []
    if not a.no_write:
        command = ("python -m benchmarks.sr_real " + " ".join(sys.argv[1:])).strip()
        write_section("sr_real", render(jpeg, city, clean, command) + "\n" + figure(a.precision))


if __name__ == "__main__":
    main()
