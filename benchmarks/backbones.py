"""Conv against transformer backbone at the same CPU budget: SR ×4 and colour denoising at σ 25.

    python -m benchmarks.backbones --minutes 20          # 4 trainings of 20 min, then evaluation → BENCHMARKS.md
    python -m benchmarks.backbones --minutes 1 --limit 2 --no-write     # a smoke run

Each arm trains from scratch with the task's own training command (same data, recipe, patch, batch and
wall-clock budget; only ``--body``/``--channels``/``--blocks`` differ) into a scratch weights folder, one
training at a time. Evaluation: SR ×4 PSNR-Y on Set5/Set14 (MATLAB bicubic LR, border 4) and denoising PSNR
(RGB) on CBSD68 at σ 25 with the benchmark's seeded noise; speed is in-process seconds per output megapixel
of the automatic precision path on a 512×512 input.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import torch

from benchmarks.common import bench_images, machine_line, median_time, table, write_section
from restore.metrics import psnr, psnr_y
from restore.recipes.data import load_rgb_u8

ARMS = {
    "conv": ["--body", "res", "--channels", "48", "--blocks", "8"],
    "transformer": ["--body", "swin", "--channels", "48", "--blocks", "2"],
}
TASKS = {
    "sr": ["train", "sr", "--scale", "4"],
    "denoise": ["train", "denoise"],
}


def train(task: str, arm: str, minutes: float, wdir: Path, threads: int) -> str:
    from restore.cli import main as cli

    model_id = f"{task}-{arm}"
    args = TASKS[task] + ARMS[arm] + ["--minutes", str(minutes), "--id", model_id, "--weights-dir", str(wdir),
                                      "--ckpt", str(wdir / f"{model_id}.pt"), "--threads", str(threads)]
    if cli(args) != 0:
        raise SystemExit(f"training {model_id} failed: restore {' '.join(args)}")
    return model_id


def score(task: str, model_id: str, limit: int) -> dict:
    import restore
    from benchmarks.denoise import noisy_version
    from restore.degrade import bicubic_downscale, mod_crop

    if task == "sr":
        m = restore.load(model_id, scale=4)
        vals = []
        for name in ("Set5", "Set14"):
            for p in bench_images(name)[:limit]:
                hr = mod_crop(load_rgb_u8(p).float(), 4)
                out = m.run_tensor(bicubic_downscale(hr, 4) / 255).mul(255).round()
                vals.append(psnr_y(out, hr, 4))
        x = torch.rand(3, 128, 128)
        out_mp = (128 * 4) ** 2 / 1e6
        fn = lambda: m.run_tensor(x)  # noqa: E731
        metric = "PSNR-Y Set5+Set14 ×4"
    else:
        m = restore.load(model_id)
        vals = []
        for p in bench_images("CBSD68")[:limit]:
            clean = load_rgb_u8(p).permute(1, 2, 0).numpy()
            noisy = torch.from_numpy(noisy_version(clean, 25, f"CBSD68/{p.name}")).permute(2, 0, 1).float()
            out = m.run_tensor(noisy / 255, forward=m.tensor_fn(sigma=25)).mul(255)
            vals.append(psnr(out, torch.from_numpy(clean).permute(2, 0, 1).float()))
        x = torch.rand(3, 512, 512)
        out_mp = 512 * 512 / 1e6
        fn = lambda: m.run_tensor(x, forward=m.tensor_fn(sigma=25))  # noqa: E731
        metric = "PSNR CBSD68 σ25"
    with torch.inference_mode():
        secs = median_time(fn, runs=3)
    t = m.entry.training
    return {"task": task, "model": model_id, "metric": metric, "psnr": sum(vals) / len(vals), "images": len(vals),
            "s_per_mp": secs / out_mp, "params": t["params"], "steps": t["steps"], "cpu_minutes": t["cpu_minutes"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=20.0, help="training budget of every arm")
    ap.add_argument("--tasks", default="sr,denoise")
    ap.add_argument("--limit", type=int, default=100, help="bench images per set")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--keep", type=Path, default=None, help="keep the trained weights in this folder")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    rows = []
    with tempfile.TemporaryDirectory() as td:
        wdir = args.keep or Path(td)
        os.environ["RESTORE_WEIGHTS_DIR"] = str(wdir)
        for task in args.tasks.split(","):
            for arm in ARMS:
                model_id = train(task, arm, args.minutes, wdir, args.threads)
                rows.append(score(task, model_id, args.limit) | {"arm": arm})
                print(json.dumps(rows[-1]), flush=True)
    body = [[r["task"], r["arm"], " ".join(ARMS[r["arm"]]), r["params"], r["steps"], r["cpu_minutes"],
             f"{r['psnr']:.2f}", r["metric"], f"{r['s_per_mp']:.2f}"] for r in rows]
    text = "\n".join([
        "## Conv vs transformer backbone at equal CPU budget", "",
        "Command: `" + " ".join(["python -m benchmarks.backbones", *sys.argv[1:]]) + "`", "",
        f"Each arm trained from scratch for {args.minutes:g} wall-clock minutes on {args.threads} threads "
        f"(one training at a time). {machine_line()}.", "",
        table(["task", "backbone", "arguments", "params", "steps", "CPU min", "PSNR", "measured on", "s/MP"], body),
    ])
    print(text)
    if not args.no_write:
        write_section("backbones", text)


if __name__ == "__main__":
    main()
