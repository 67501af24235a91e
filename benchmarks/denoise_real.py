"""Real camera noise: all 100 PolyU pairs (noisy shot / mean of many shots), blind, against the classical anchors.

    python -m benchmarks.denoise_real                               # all 100 pairs, the shipped model
    python -m benchmarks.denoise_real --methods noisy,nlm --limit 10 --no-write      # a quick look

Methods: the noisy input itself; OpenCV's fast non-local means with h=5 (tuned on nothing, as the issue that
asked for this measured it); CBM3D at the σ that Immerkær's estimator reads from the noisy image (the mean over
the three channels); our Gaussian model (``denoise``) and our camera-noise model (``denoise-real``), both blind.
PSNR and SSIM on RGB 0-255, no border (BENCHMARK_PROTOCOL.md). Seconds per megapixel are wall time of each
method's call on this machine's threads. Needs the ``bench`` extra (bm3d, scipy).
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

from benchmarks.common import BENCH_DIR, machine_line, store_metrics, table, write_section
from restore.metrics import psnr, ssim

METHODS = ("noisy", "nlm", "cbm3d", "ours-gaussian", "ours-real")
MODELS = {"ours-gaussian": "denoise", "ours-real": "denoise-real"}
RESULTS = Path(__file__).resolve().parent / "results" / "denoise_real.jsonl"


def polyu_pairs() -> list[tuple[Path, Path]]:
    """(noisy, clean) paths of the PolyU set, sorted by name."""
    root = BENCH_DIR / "PolyU"
    return [(root / "noisy" / p.name, p) for p in sorted((root / "clean").glob("*.JPG"))]


def estimated_sigma(noisy: np.ndarray) -> float:
    """Immerkær's σ (8-bit units), the mean over the channels of an H×W×3 image."""
    from restore.classical import estimate_noise_sigma

    return float(np.mean([estimate_noise_sigma(noisy[:, :, c]) for c in range(3)]))


def methods(only: list[str]) -> dict[str, Callable[[np.ndarray], np.ndarray]]:
    """name → f(noisy uint8 H×W×3) → denoised float H×W×3 in 0-255."""
    out: dict[str, Callable] = {"noisy": lambda n: n.astype(np.float64)}
    if "nlm" in only:
        import cv2

        out["nlm"] = lambda n: cv2.fastNlMeansDenoisingColored(n, None, 5, 5, 7, 21).astype(np.float64)
    if "cbm3d" in only:
        import bm3d

        out["cbm3d"] = lambda n: bm3d.bm3d_rgb(n / 255.0, estimated_sigma(n) / 255.0) * 255
    for name, model in MODELS.items():
        if name in only:
            out[name] = ours(model)
    return {k: v for k, v in out.items() if k in only}


def ours(model: str) -> Callable[[np.ndarray], np.ndarray]:
    from restore.api import load
    from restore.io import Image

    m = load(model)

    def run(noisy: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(noisy).permute(2, 0, 1).float().div(255)
        return m(Image(x)).pixels.permute(1, 2, 0).double().numpy() * 255

    run.model_id = f"{m.id} ({m.entry.sha256[:8]})"
    return run


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--methods", default="noisy,nlm,cbm3d,ours-gaussian,ours-real",
                    help=f"of {','.join(METHODS)}; ours-real needs a denoise-real model (restore train denoise "
                         f"--camera isp)")
    ap.add_argument("--limit", type=int, default=0, help="only the first N pairs")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--results", default=str(RESULTS))
    ap.add_argument("--no-write", action="store_true", help="do not rewrite the BENCHMARKS.md section")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    from PIL import Image as P

    pairs = polyu_pairs()[:args.limit or None]
    fns = methods(args.methods.split(","))
    command = "python -m benchmarks.denoise_real " + " ".join(argv if argv is not None else sys.argv[1:])
    for meth, fn in fns.items():
        ps, ss, secs, mp = [], [], 0.0, 0.0
        for noisy_path, clean_path in pairs:
            noisy = np.asarray(P.open(noisy_path).convert("RGB"))
            clean = torch.from_numpy(np.asarray(P.open(clean_path).convert("RGB")).astype(np.float64))
            t = time.perf_counter()
            out = fn(noisy)
            secs += time.perf_counter() - t
            mp += noisy.shape[0] * noisy.shape[1] / 1e6
            out = torch.from_numpy(np.clip(out, 0, 255))
            ps.append(psnr(out, clean))
            ss.append(ssim(out.permute(2, 0, 1), clean.permute(2, 0, 1)))
        rec = {"set": "PolyU", "method": meth, "images": len(pairs), "psnr": float(np.mean(ps)),
               "ssim": float(np.mean(ss)), "s_per_mp": secs / mp, "threads": args.threads,
               "model": getattr(fn, "model_id", None), "command": command.strip()}
        print(json.dumps(rec), file=sys.stderr, flush=True)
        with open(args.results, "a") as f:
            f.write(json.dumps(rec) + "\n")
        if meth in MODELS and not args.no_write:
            subset = "" if len(pairs) == 100 else f"_first{len(pairs)}"
            store_metrics(MODELS[meth], {f"PolyU{subset}_blind_psnr": rec["psnr"],
                                         f"PolyU{subset}_blind_ssim": rec["ssim"]})
    body = report(Path(args.results))
    print(body)
    if not args.no_write:
        write_section("denoise_real", body)


def report(path: Path) -> str:
    """The BENCHMARKS.md section: the latest record of each (pair count, method)."""
    recs: dict[tuple, dict] = {}
    for line in path.read_text().splitlines():
        if line.strip():
            r = json.loads(line)
            recs[(r["images"], r["method"])] = r
    rows = []
    for n in sorted({k[0] for k in recs}, reverse=True):
        base = recs.get((n, "noisy"))
        for m in METHODS:
            r = recs.get((n, m))
            if r is None:
                continue
            gain = f"{r['psnr'] - base['psnr']:+.2f}" if base else ""
            rows.append([n, m, r.get("model") or "", f"{r['psnr']:.2f}", gain, f"{r['ssim']:.4f}",
                         f"{r['s_per_mp']:.2f}"])
    commands = sorted({r["command"] for r in recs.values()})
    return "\n".join([
        "Real camera noise, blind: PolyU (Xu et al. 2018; Canon 5D/80D/600D, Nikon D800, Sony A7II at ISO "
        "800-6400, 512×512 camera JPEGs; the reference is the mean of many shots of a static scene). PSNR/SSIM on "
        "RGB 0-255, no border. NLM: OpenCV fastNlMeansDenoisingColored, h=5. CBM3D: σ from Immerkær's estimator "
        "per image. Seconds per megapixel: wall time of each call.",
        "", machine_line(), "",
        table(["pairs", "method", "model", "PSNR", "vs noisy", "SSIM", "s/MP"], rows),
        "", "Commands: " + "; ".join(f"`{c}`" for c in commands),
    ])


if __name__ == "__main__":
    main()
