"""Training-recipe comparison for the codec: validation rate-distortion reached in a fixed CPU-time budget.

    python -m benchmarks.codec_recipe --minutes 10 --configs gdn96,gdn64 --out /tmp/codec-recipe.jsonl
    python -m benchmarks.codec_recipe --report --out /tmp/codec-recipe.jsonl

Each configuration trains from scratch for the same wall-clock budget (cosine schedule fitted to it) on the
training split and is scored on the held-out validation crops (never on bench/): estimated bpp and PSNR at
qualities 1, 4 and 8, and the BD-rate of that three-point curve against the first configuration in the file.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from benchmarks.common import record_run
from restore.runtime import resolve_precision
from restore.recipes.codec import CodecRecipe, train_codec
from restore.recipes.data import default_train_dirs
from restore.recipes.loop import TrainConfig

CONFIGS = {
    "gdn96": dict(recipe=dict(channels=96, latent=128), lr=6e-4),
    "gdn64": dict(recipe=dict(channels=64, latent=96, slices=(12, 12, 24, 48), hyper_channels=64), lr=6e-4),
    "gdn128": dict(recipe=dict(channels=128, latent=160, slices=(20, 20, 40, 80), hyper_channels=128), lr=6e-4),
    "gdn96-p256b2": dict(recipe=dict(channels=96, latent=128, patch=256, batch=2), lr=6e-4),
    "gdn96-p64b32": dict(recipe=dict(channels=96, latent=128, patch=64, batch=32), lr=6e-4),
    "gdn96-lr1e-3": dict(recipe=dict(channels=96, latent=128), lr=1e-3),
    "gdn96-res1": dict(recipe=dict(channels=96, latent=128, res_blocks=1), lr=6e-4),
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--configs", default=",".join(CONFIGS))
    ap.add_argument("--precision", default="auto", choices=["auto", "bf16", "fp32"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default="codec-recipe.jsonl")
    ap.add_argument("--report", action="store_true", help="only write the --out results to BENCHMARKS.md")
    ap.add_argument("--note", default="", help="a sentence added under the table (with --report)")
    args = ap.parse_args()
    if args.report:
        report(Path(args.out), args.note)
        return
    torch.set_num_threads(args.threads)
    bf16 = resolve_precision(args.precision) == "bf16"
    for name in args.configs.split(","):
        spec = CONFIGS[name]
        recipe = CodecRecipe(**spec["recipe"])
        cfg = TrainConfig(minutes=args.minutes, lr=spec["lr"], bf16=bf16, val_every_s=1e9, ckpt_every_s=1e9,
                          warmup_steps=200, threads=args.threads, log=lambda s: print(f"[{name}] {s}", flush=True))
        record_run(name, args.minutes, args.out, lambda: train_codec(recipe, cfg, default_train_dirs()), bf16=bf16)


def report(path: Path, note: str = "") -> None:
    """Write the recorded runs as the `codec-recipe` section of BENCHMARKS.md."""
    from benchmarks.common import table, write_section
    from restore.metrics import bd_rate

    recs = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    levels = sorted({int(k[5:].split("_")[0]) for k in recs[0] if k.startswith("val_q") and k.endswith("_bpp")})
    curve = lambda r: ([r[f"val_q{q}_bpp"] for q in levels], [r[f"val_q{q}_psnr"] for q in levels])  # noqa: E731
    ref = curve(recs[0])
    rows = [[r["config"], r["params"], r["minutes"], r["steps"], round(r["steps"] / (r["minutes"] * 60), 2),
             " / ".join(f"{b:.3f}, {p:.2f}" for b, p in zip(*curve(r))), f"{bd_rate(*ref, *curve(r)):+.1f}%"]
            for r in recs]
    body = ["## Codec training recipe (validation RD per CPU time)", "",
            "Command: `python -m benchmarks.codec_recipe --minutes M --configs ... --out FILE` then "
            "`python -m benchmarks.codec_recipe --report --out FILE`.", "",
            "Each run trains from scratch for M wall-clock minutes (cosine schedule fitted to M), all 8 quality "
            "levels at once, and is scored on 256-px centre crops of the 26 held-out training images (never "
            "bench/): estimated bpp and PSNR (rounded latents) at the listed qualities.", "",
            table(["config", "params", "minutes", "steps", "steps/s",
                   f"bpp, PSNR at q{', q'.join(map(str, levels))}", f"BD-rate vs {recs[0]['config']}"], rows)]
    if note:
        body += ["", note]
    write_section("codec-recipe", "\n".join(body))


if __name__ == "__main__":
    main()
