"""Training-recipe comparison for SR: validation PSNR reached in a fixed CPU-time budget.

    python -m benchmarks.sr_recipe --minutes 3 --out /tmp/recipe.jsonl

Each configuration trains from scratch for the same wall-clock budget (cosine schedule fitted to it)
on the training split and is scored on the held-out validation crops (never on bench/).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from benchmarks.common import record_run
from restore.recipes.data import default_train_dirs
from restore.recipes.loop import TrainConfig
from restore.recipes.sr import SRRecipe, train_sr

CONFIGS = {
    "res32x4-bf16": dict(recipe=dict(body="res", channels=32, blocks=4), bf16=True),
    "res32x4-fp32": dict(recipe=dict(body="res", channels=32, blocks=4), bf16=False),
    "res64x4-bf16": dict(recipe=dict(body="res", channels=64, blocks=4), bf16=True),
    "res48x8-bf16": dict(recipe=dict(body="res", channels=48, blocks=8), bf16=True),
    "naf48x6-bf16": dict(recipe=dict(body="naf", channels=48, blocks=6), bf16=True),
    "res48x8-bf16-multi": dict(recipe=dict(body="res", channels=48, blocks=8, scales=(2, 3, 4)), bf16=True),
    "res32x4-bf16-multi": dict(recipe=dict(body="res", channels=32, blocks=4, scales=(2, 3, 4)), bf16=True),
    "res64x4-bf16-multi": dict(recipe=dict(body="res", channels=64, blocks=4, scales=(2, 3, 4)), bf16=True),
    "res48x8-bf16-b32p32": dict(recipe=dict(body="res", channels=48, blocks=8, batch=32, lr_patch=32), bf16=True),
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=3.0)
    ap.add_argument("--configs", default=",".join(CONFIGS))
    ap.add_argument("--scale", type=int, default=4)
    ap.add_argument("--out", default="recipe.jsonl")
    ap.add_argument("--val-every", type=float, default=1e9, help="seconds between validations")
    ap.add_argument("--ckpt-dir", default=None, help="keep each run's checkpoint here (to continue the winner)")
    ap.add_argument("--report", action="store_true", help="only write the --out results to BENCHMARKS.md")
    ap.add_argument("--note", default="", help="a sentence added under the table (with --report)")
    args = ap.parse_args()
    if args.report:
        report(Path(args.out), args.note)
        return
    torch.set_num_threads(2)
    for name in args.configs.split(","):
        spec = CONFIGS[name]
        rkw = dict(spec["recipe"])
        rkw.setdefault("scales", (args.scale,))
        recipe = SRRecipe(**rkw)
        cfg = TrainConfig(minutes=args.minutes, bf16=spec["bf16"], val_every_s=args.val_every, ckpt_every_s=1e9,
                          warmup_steps=100, log=lambda s: print(f"[{name}] {s}", flush=True))
        ckpt = Path(args.ckpt_dir) / f"{name}.pt" if args.ckpt_dir else None
        record_run(name, args.minutes, args.out, lambda: train_sr(recipe, cfg, default_train_dirs(), ckpt=ckpt))


def report(path: Path, note: str = "") -> None:
    """Write the recorded runs as the `sr-recipe` section of BENCHMARKS.md."""
    from benchmarks.common import table, write_section

    recs = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    rows = []
    for r in recs:
        vals = " / ".join(f"{r[k]:.2f}" for k in sorted(r) if k.startswith("val_x"))
        scales = ",".join(k[5:] for k in sorted(r) if k.startswith("val_x"))
        rows.append([r["config"], r["params"], r["minutes"], r["steps"], round(r["steps"] / (r["minutes"] * 60), 2),
                     scales, vals])
    body = ["## SR training recipe (validation PSNR-Y per CPU time)", "",
            "Command: `python -m benchmarks.sr_recipe --minutes M --configs ... --out FILE` then "
            "`python -m benchmarks.sr_recipe --report --out FILE`.", "",
            "Each run trains from scratch for M wall-clock minutes on 2 cores (cosine schedule fitted to M), "
            "batch 16, LR patch 48, L1, AdamW 2e-3, EMA 0.999, and is scored on centre crops of the 26 held-out "
            "training images (never bench/). Bicubic on these crops: ×2 29.54, ×3 27.25, ×4 26.04.", "",
            table(["config", "params", "minutes", "steps", "steps/s", "scales", "val PSNR-Y"], rows)]
    if note:
        body += ["", note]
    write_section("sr-recipe", "\n".join(body))


if __name__ == "__main__":
    main()
