"""Weights storage: does storing a model's weights in half precision change its results?

Each float32-stored model runs at fp32 on its benchmark images twice, with its weights as shipped and with them
rounded through float16 (exactly what a float16 file gives back), and the script reports the mean and largest
PSNR change against the ground truth and the PSNR between the two outputs. ``--write`` then re-stores every model
whose mean change is within ``--tolerance`` dB as float16 and records it in the manifest. The codec is left out:
its file's sha256 is written into every ``.rst`` file, so re-storing it would orphan them.

    python -m benchmarks.storage            # measure only
    python -m benchmarks.storage --write    # measure, re-store, update BENCHMARKS.md
"""
from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path
from typing import Callable, Iterator

import torch

from benchmarks.common import bench_images, cpu_name, table, write_section
from benchmarks.synthetic import burst_cases, load, reflection_cases, seeded, weather_cases
from restore.degrade.noise import GaussianNoise

Case = tuple[str, Callable[[object], torch.Tensor], torch.Tensor]     # (name, model → output 0-1, target 0-1)
LIMIT = 8      # images per set for the slow (transformer, scene, burst) models
RESULTS = Path(__file__).resolve().parent / "results" / "storage.jsonl"   # one line per model measured


def _psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    mse = (a.clamp(0, 1).mul(255).round() - b.clamp(0, 1).mul(255).round()).pow(2).mean().item()
    return 10 * math.log10(255 ** 2 / mse) if mse > 0 else 99.0


def sr_cases(entry, swin: bool) -> Iterator[tuple[int, Case]]:
    """Set5 and Set14 at every scale; a real-input model's LR is saved as JPEG q60 first (what it is for)."""
    from restore.degrade import bicubic_downscale, jpeg_roundtrip, mod_crop

    real = entry.training.get("recipe", {}).get("degradation") == "real"
    for s in entry.scales:
        for name in ("Set5", "Set14"):
            for p in bench_images(name)[:LIMIT if swin else None]:
                hr = mod_crop(load(p, 1) * 255, s)
                lr = bicubic_downscale(hr, s) / 255
                lr = jpeg_roundtrip(lr, 60) if real else lr
                yield s, (f"{name}/{p.name} ×{s}", lambda m, lr=lr: m.run_tensor(lr), hr / 255)


def cases(entry) -> Iterator[tuple[dict, Case]]:
    """(load options, case) for every benchmark image of the entry's task."""
    from restore.io import Image

    swin = entry.kwargs.get("body") == "swin"
    if entry.task == "sr":
        for s, case in sr_cases(entry, swin):
            yield {"scale": s}, case
    elif entry.task == "sr-any":
        from benchmarks.sr_any import pair

        for name in ("Set5", "Set14"):
            for p in bench_images(name):
                hr, lr = pair(load(p, 1) * 255, 2.5, 2.5)
                yield {}, (f"{name}/{p.name} ×2.5", lambda m, lr=lr, hr=hr: m(Image(lr / 255), size=hr.shape[-2:]).pixels,
                           hr / 255)
    elif entry.task == "denoise":
        for p in bench_images("CBSD68")[:LIMIT if swin else None]:
            clean = load(p)
            noisy = GaussianNoise(25 / 255)(clean, seeded("storage", p.name))
            yield {}, (f"CBSD68/{p.name} σ25", lambda m, x=noisy: m(Image(x), sigma=25.0).pixels, clean)
    elif entry.task == "dejpeg":
        from restore.degrade import jpeg_roundtrip

        for p in bench_images("LIVE1")[:LIMIT]:
            clean = load(p)
            yield {}, (f"LIVE1/{p.name} q20", lambda m, x=jpeg_roundtrip(clean, 20): m(Image(x), quality=20).pixels,
                       clean)
    elif entry.task == "demosaic":
        from restore.degrade import mosaic

        for p in bench_images("Kodak24"):
            clean = load(p)
            yield {}, (f"Kodak24/{p.name}", lambda m, x=mosaic(clean): m(Image(x), pattern="RGGB").pixels, clean)
    elif entry.task == "weather":
        for kind, name, bad, clean in weather_cases(["Kodak24"], LIMIT):
            yield {}, (f"{name} {kind}", lambda m, x=bad, k=kind.split()[0]: m(Image(x), kind=k).pixels, clean)
    elif entry.task == "dereflect":
        for name, photo, trans in reflection_cases(["Kodak24"], LIMIT):
            yield {}, (name, lambda m, x=photo: m(Image(x)).pixels, trans)
    elif entry.task == "burst":
        for name, b in burst_cases(["Kodak24"], 6):
            yield {}, (name, lambda m, b=b: m([Image(f) for f in b.frames]).pixels, b.target)
    else:
        raise ValueError(f"no storage cases for task {entry.task!r}")


def measure(entry, storage: str) -> dict:
    """PSNR of each case with the shipped weights and with them rounded to ``storage``."""
    import restore.api as api
    from restore.weights import stored_state

    rounded: dict = {}
    deltas, between, base = [], [], []
    for opts, (name, run, target) in cases(entry):
        key = tuple(sorted(opts.items()))
        if key not in rounded:
            pair = []
            for _ in range(2):                # two separate loads: the cache would hand back one object
                api._cache.clear()
                pair.append(api.load(entry.id, precision="fp32", **opts))
            full, half = pair
            half.net.load_state_dict(stored_state(half.net.state_dict(), storage))
            rounded[key] = (full, half)
        full, half = rounded[key]
        a, b = run(full), run(half)
        base.append(_psnr(a, target))
        deltas.append(_psnr(b, target) - base[-1])
        between.append(_psnr(a, b))
    api._cache.clear()
    n = len(deltas)
    return {"id": entry.id, "task": entry.task, "n": n, "psnr": sum(base) / n, "mean_delta": sum(deltas) / n,
            "max_abs_delta": max(abs(d) for d in deltas), "min_between": min(between)}


def restore_as(entry, storage: str) -> None:
    """Rewrite the entry's file in ``storage`` and record its new hash; the metrics stay (measured unchanged)."""
    from restore.weights import Manifest, load_state, save_state, weights_dir

    man = Manifest(weights_dir())
    e, _ = man.resolve(entry.id)
    e.sha256 = save_state(load_state(e), e.path(), storage)
    e.storage = storage
    man.upsert(e)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--storage", default="float16", choices=["float16", "bfloat16"])
    ap.add_argument("--tolerance", type=float, default=0.01, help="largest mean PSNR change (dB) to re-store")
    ap.add_argument("--models", default="", help="comma-separated ids (default: every float32 non-codec model)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--write", action="store_true", help="re-store the models within tolerance; update BENCHMARKS.md")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    from restore.weights import Manifest

    wanted = set(filter(None, args.models.split(",")))
    entries = [e for e in Manifest().entries if e.task != "codec" and e.storage == "float32"
               and (not wanted or e.id in wanted)]
    for e in entries:
        t = time.perf_counter()
        r = measure(e, args.storage) | {"storage": args.storage, "machine": cpu_name()}
        print(f"{r['id']}: {r['n']} images, mean Δ {r['mean_delta']:+.5f} dB, max |Δ| {r['max_abs_delta']:.5f} dB, "
              f"outputs ≥ {r['min_between']:.1f} dB apart ({time.perf_counter() - t:.0f} s)", flush=True)
        if not args.write:
            continue
        with open(RESULTS, "a") as f:
            f.write(json.dumps(r) + "\n")
        if abs(r["mean_delta"]) <= args.tolerance:
            restore_as(e, args.storage)
    if not args.write:
        return
    latest = {r["id"]: r for r in map(json.loads, RESULTS.read_text().splitlines())}
    rows = [[f"`{r['id']}`", r["task"], r["n"], f"{r['psnr']:.3f}", f"{r['mean_delta']:+.5f}",
             f"{r['max_abs_delta']:.5f}", f"{r['min_between']:.1f}", r["machine"]] for r in latest.values()]
    write_section("storage", "## Weights storage\n\nEach model at fp32 with its weights as trained (float32) and "
                  f"rounded to {args.storage}; a model is stored as {args.storage} when its mean PSNR change is within "
                  f"{args.tolerance} dB. The codec stays float32: its hash is written into every `.rst` file.\n\n"
                  f"`python -m benchmarks.storage --write` (each model at fp32; benchmark images: SR Set5+Set14 (the real-input SR model: their LR saved as JPEG q60), denoising CBSD68 σ25, dejpeg the first {LIMIT} LIVE1 at q20, demosaicing Kodak24, scenes and "
                  f"bursts the first {LIMIT} or 6 Kodak24 images with the benchmarks' seeded degradations):\n\n"
                  + table(["model", "task", "images", "PSNR, shipped (dB)", "mean Δ (dB)", "largest change (dB)",
                           "PSNR between outputs (dB)", "CPU"], rows))


if __name__ == "__main__":
    main()
