"""Colour Gaussian denoising: ours (given σ and blind) against CBM3D and OpenCV's fast NLM, same noisy images.

    python -m benchmarks.denoise                       # CBSD68, Kodak24, McMaster, Urban100 at σ 15/25/50
    python -m benchmarks.denoise --sets Kodak24 --limit 4 --no-write      # a quick look
    python -m benchmarks.denoise --methods cbm3d --limit 8                 # one method; the table merges runs

Noise follows BENCHMARK_PROTOCOL.md's paper protocol: clean 0-255 float plus N(0, σ²) from a torch generator
seeded per (set, image, σ), kept in float (not clipped or rounded) for ours and CBM3D. OpenCV's NLM needs uint8, so
it gets the same noisy image rounded and clipped. PSNR on RGB 0-255, no border crop. Seconds per megapixel are
wall time of each method's call on this machine (2 threads). Needs the ``bench`` extra (bm3d).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from benchmarks.common import bench_images, machine_line, store_metrics, table, write_section
from restore.degrade.compose import seeded
from restore.degrade.noise import GaussianNoise
from restore.metrics import psnr

SETS = ("CBSD68", "Kodak24", "McMaster", "Urban100")
RESULTS = Path(__file__).resolve().parent / "results" / "denoise.jsonl"
LABELS = {"denoise": "ours", "denoise-real": "real"}     # the method name of each model in the table
ORDER = ("ours", "ours-blind", "real", "real-blind", "cbm3d", "nlm")


def noisy_version(clean: np.ndarray, sigma: float, key: str) -> np.ndarray:
    """Float noisy image (0-255 scale, unclipped): the Gaussian-noise op with a generator seeded by ``key`` and σ."""
    x = torch.from_numpy(clean.astype(np.float64))
    return GaussianNoise(float(sigma))(x, seeded(key, sigma)).numpy()


def methods(model: str, only: list[str]) -> dict[str, Callable[[np.ndarray, float], np.ndarray]]:
    """name → f(noisy float H×W×3 in 0-255, σ) → denoised float in 0-255."""
    out: dict[str, Callable] = {}
    if any(m.split("-blind")[0] == LABELS.get(model, model) for m in only):
        from restore.api import load
        from restore.io import Image

        m = load(model)

        def ours(noisy: np.ndarray, sigma, blind: bool = False) -> np.ndarray:
            x = torch.from_numpy(noisy / 255).float().permute(2, 0, 1).contiguous()
            res = m(Image(x), sigma=None if blind else sigma)
            return res.pixels.permute(1, 2, 0).double().numpy() * 255

        label = LABELS.get(model, model)
        out[label] = ours
        out[f"{label}-blind"] = lambda n, s: ours(n, s, blind=True)
    if "cbm3d" in only:
        try:
            import bm3d

            out["cbm3d"] = lambda n, s: bm3d.bm3d_rgb(n / 255, s / 255) * 255
        except ImportError:
            print("bm3d is not installed: CBM3D skipped (pip install -e '.[bench]')", file=sys.stderr)
    if "nlm" in only:
        import cv2

        def nlm(noisy: np.ndarray, sigma: float) -> np.ndarray:
            u8 = np.clip(np.rint(noisy), 0, 255).astype(np.uint8)
            h = 0.8 * sigma
            return cv2.fastNlMeansDenoisingColored(u8, None, h, h, 7, 21).astype(np.float64)

        out["nlm"] = nlm
    return {k: v for k, v in out.items() if k in only}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default=",".join(SETS))
    ap.add_argument("--sigmas", default="15,25,50")
    ap.add_argument("--methods", default="ours,ours-blind,cbm3d,nlm",
                    help="ours/ours-blind: --model given σ / blind; the camera-noise model (--model denoise-real) "
                         "is real/real-blind")
    ap.add_argument("--model", default="denoise")
    ap.add_argument("--limit", type=int, default=0, help="only the first N images of each set")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--results", default=str(RESULTS),
                    help="JSON-lines file the measurements are added to (methods can be run separately)")
    ap.add_argument("--no-write", action="store_true", help="do not rewrite the BENCHMARKS.md section")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    from PIL import Image as P

    fns = methods(args.model, args.methods.split(","))
    sigmas = [float(s) for s in args.sigmas.split(",")]
    command = "python -m benchmarks.denoise " + " ".join(argv if argv is not None else sys.argv[1:])
    model_id = None
    for name in args.sets.split(","):
        paths = bench_images(name)[:args.limit or None]
        images = [np.asarray(P.open(p).convert("RGB")) for p in paths]
        for s in sigmas:
            for meth, fn in fns.items():
                ps, secs, mp = [], 0.0, 0.0
                for p, clean in zip(paths, images):
                    noisy = noisy_version(clean, s, f"{name}/{p.name}")
                    t = time.perf_counter()
                    out = fn(noisy, s)
                    secs += time.perf_counter() - t
                    mp += clean.shape[0] * clean.shape[1] / 1e6
                    ps.append(psnr(torch.from_numpy(np.clip(out, 0, 255)), torch.from_numpy(clean)))
                mine = meth not in ("cbm3d", "nlm")
                if mine:
                    from restore.api import load

                    model_id = f"{load(args.model).id} ({load(args.model).entry.sha256[:8]})"
                rec = {"set": name, "sigma": s, "method": meth, "images": len(paths), "psnr": float(np.mean(ps)),
                       "s_per_mp": secs / mp, "threads": args.threads, "command": command.strip(),
                       "model": model_id if mine else None}
                print(json.dumps(rec), file=sys.stderr, flush=True)
                if mine and not args.no_write:
                    subset = "" if len(paths) == len(bench_images(name)) else f"_first{len(paths)}"
                    blind = "_blind" if meth.endswith("-blind") else ""
                    store_metrics(args.model, {f"{name}{subset}_s{s:g}{blind}_psnr": rec["psnr"],
                                               f"s_per_mp_{args.threads}_threads": rec["s_per_mp"]})
                with open(args.results, "a") as f:
                    f.write(json.dumps(rec) + "\n")
    body = report(Path(args.results))
    print(body)
    if not args.no_write:
        write_section("denoise", body)


def report(path: Path) -> str:
    """The BENCHMARKS.md section from every record in ``path``: one row per set, image count and σ (the latest
    record of each method), so a slow anchor measured on the first N images sits beside ours on the same N."""
    recs: dict[tuple, dict] = {}
    for line in path.read_text().splitlines():
        if line.strip():
            r = json.loads(line)
            recs[(r["set"], r["images"], r["sigma"], r["method"])] = r
    meths = [m for m in ORDER if any(k[3] == m for k in recs)]
    keys = sorted({k[:3] for k in recs}, key=lambda k: (SETS.index(k[0]) if k[0] in SETS else 99, k[1], k[2]))
    rows = []
    for set_name, n, s in keys:
        row = [set_name, n, f"{s:g}"]
        for m in meths:
            r = recs.get((set_name, n, s, m))
            row += ["-", "-"] if r is None else [f"{r['psnr']:.2f}", f"{r['s_per_mp']:.1f}"]
        rows.append(row)
    header = ["set", "images", "σ"] + [h for m in meths for h in (f"{m} PSNR", f"{m} s/MP")]
    commands = sorted({r["command"] for r in recs.values()})
    models = sorted({r["model"] for r in recs.values() if r.get("model")})
    threads = {m: "/".join(sorted({str(r["threads"]) for k, r in recs.items() if k[3] == m})) for m in meths}
    return "\n".join([
        "## Colour denoising (Gaussian noise)", "",
        "Commands: " + "; ".join(f"`{c}`" for c in commands) + f". {machine_line()}. Model: {', '.join(models)}.", "",
        "Noisy inputs: paper protocol (float, unclipped, seeded per image and σ) for ours and CBM3D; NLM gets them "
        "rounded and clipped to uint8. `ours` (the Gaussian model, `denoise`) is given the true σ, `ours-blind` "
        "estimates it; `real`/`real-blind`: a camera-noise model (`--model denoise-real`, trained with "
        "`restore train denoise --camera isp`) on the same Gaussian noise. PSNR on RGB "
        "(0-255), no border crop; s/MP: wall seconds per megapixel; images: the first N of the set (sorted by "
        "name), the same images and noise for every method in a row. CBM3D costs 130-190 s per megapixel on one "
        "core, so it runs on the first few images of each set and ours is measured on those same images as well "
        "as on the whole set. Threads: " + ", ".join(f"{m} {t}" for m, t in threads.items()) + " (CBM3D and NLM "
        "ran pinned to one core while a training run used the other; timings are approximate).", "",
        table(header, rows)])


if __name__ == "__main__":
    main()
