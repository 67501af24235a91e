"""Training-recipe comparison for the denoiser: validation PSNR reached in a fixed CPU-time budget.

    python -m benchmarks.denoise_recipe --minutes 4 --configs res48x8,res64x8,res64x12 --out /tmp/dn.jsonl
    python -m benchmarks.denoise_recipe --report --out /tmp/dn.jsonl

Each configuration trains from scratch for the same wall-clock budget (cosine schedule fitted to it) and is
scored on centre crops of the held-out training images (never bench/) with seeded Gaussian noise: RGB PSNR
with the true σ given, and blind at σ 25.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from benchmarks.common import record_run
from restore.runtime import resolve_precision
from restore.recipes.data import default_train_dirs
from restore.recipes.denoise import DenoiseRecipe, train_denoise
from restore.recipes.loop import TrainConfig

CONFIGS = {
    "res32x6": dict(recipe=dict(channels=32, blocks=6)),
    "res48x8": dict(recipe=dict(channels=48, blocks=8)),
    "res64x8": dict(recipe=dict(channels=64, blocks=8)),
    "res64x12": dict(recipe=dict(channels=64, blocks=12)),
    "res64x8-p128b4": dict(recipe=dict(channels=64, blocks=8, patch=128, batch=4)),
    "res64x12-p96b8": dict(recipe=dict(channels=64, blocks=12, patch=96, batch=8)),
    "naf64x8": dict(recipe=dict(body="naf", channels=64, blocks=8)),
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=4.0)
    ap.add_argument("--configs", default="res48x8,res64x8,res64x12")
    ap.add_argument("--precision", default="auto", choices=["auto", "bf16", "fp32"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--out", default="denoise-recipe.jsonl")
    ap.add_argument("--report", action="store_true", help="only write the --out results to BENCHMARKS.md")
    ap.add_argument("--note", default="", help="a sentence added under the table (with --report)")
    args = ap.parse_args()
    if args.report:
        report(Path(args.out), args.note)
        return
    torch.set_num_threads(args.threads)
    precision = resolve_precision(args.precision)
    for name in args.configs.split(","):
        recipe = DenoiseRecipe(**CONFIGS[name]["recipe"])
        cfg = TrainConfig(minutes=args.minutes, lr=args.lr, bf16=precision == "bf16", val_every_s=1e9,
                          ckpt_every_s=1e9, threads=args.threads, log=lambda s: print(f"[{name}] {s}", flush=True))
        record_run(name, args.minutes, args.out, lambda: train_denoise(recipe, cfg, default_train_dirs()),
                   precision=precision, threads=args.threads)


def report(path: Path, note: str = "") -> None:
    """Write the recorded runs as the `denoise-recipe` section of BENCHMARKS.md."""
    from benchmarks.common import table, write_section

    recs = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    keys = [k for k in recs[0] if k.startswith("val_")]
    rows = [[r["config"], r["params"], r["precision"], r["threads"], r["minutes"], r["steps"],
             round(r["steps"] / (r["minutes"] * 60), 2), *(round(r[k], 2) for k in keys)] for r in recs]
    body = ["## Denoising training recipe (validation PSNR per CPU time)", "",
            "Command: `python -m benchmarks.denoise_recipe --minutes M --configs ... --threads T --out FILE` then "
            "`python -m benchmarks.denoise_recipe --report --out FILE`.", "",
            "Each run trains from scratch for M wall-clock minutes (cosine schedule fitted to M) with the shipped "
            "recipe's noise mix (Gaussian σ 0-75 and camera noise, half the samples blind), and is scored on "
            "192-px centre crops of the 26 held-out training images (never bench/), RGB PSNR in dB.", "",
            table(["config", "params", "precision", "threads", "minutes", "steps", "steps/s", *keys], rows)]
    if note:
        body += ["", note]
    write_section("denoise-recipe", "\n".join(body))


if __name__ == "__main__":
    main()
