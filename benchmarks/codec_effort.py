"""Encoder effort levels of the learned codec on Kodak24: what each level's search buys and costs.

    python -m benchmarks.codec_effort --limit 4 --qualities 1,3,5,7            # efforts 1-5 on 4 images
    python -m benchmarks.codec_effort --efforts 1,3 --no-write                  # a quick look
    python -m benchmarks.codec_effort --tune 4 --steps 100 --rounding noise-sga # how a search setting converges

``--tune Q`` is how the levels' settings were chosen: one search on a 512×512 crop of a held-out *training*
photo (never Kodak), printing after some steps the hard-rounded rate and PSNR and the rate change at equal
PSNR, read off the effort-1 curve's local slope (the search's own objective, bpp + λ·255²·MSE, can fall
by moving along the curve, which saves nothing).

Every (image, effort, quality) point is appended to benchmarks/results/codec_effort.jsonl with the machine it
ran on and reused by later runs (the slow levels take minutes per image, so the table fills in over several
sessions); the report uses the images that have every point of every effort asked for. WebP, AVIF and JPEG
XL are measured on the same images in the same run (settings of benchmarks.codec). BD-rate: PSNR-RGB, as
benchmarks.codec. Encode seconds are wall-clock seconds of ``LearnedCodec.encode`` for one image on
``--threads`` threads.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from benchmarks.codec import RESULTS, Curve, classical, measure, psnr_rgb
from benchmarks.common import ROOT, bench_images, cpu_name, machine_line, table, write_section
from restore.metrics import bd_rate, bpp
from restore.runtime import keep_heap

POINTS = RESULTS / "codec_effort.jsonl"


def load_points(path: Path) -> dict[tuple, dict]:
    """Recorded points keyed by (model, image, effort, quality); the newest wins."""
    out: dict[tuple, dict] = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            r = json.loads(line)
            out[(r["model"], r["image"], r["effort"], r["quality"])] = r
    return out


def measure_point(codec, arr: np.ndarray, effort: int, quality: float) -> dict:
    from restore.io import Image

    t0 = time.perf_counter()
    data = codec.encode(Image.from_array(arr), quality=quality, effort=effort)
    enc = time.perf_counter() - t0
    out = codec.decode(data).to_array()
    return {"bpp": bpp(len(data), *arr.shape[:2]), "psnr": psnr_rgb(out, arr), "encode_s": enc}


def curve(name: str, points: list[dict], qualities: list[float]) -> Curve:
    """Mean bpp / PSNR / encode seconds per quality over the images."""
    c = Curve(name)
    for q in qualities:
        at = [p for p in points if p["quality"] == q]
        c.settings.append(q)
        c.bpp.append(float(np.mean([p["bpp"] for p in at])))
        c.psnr.append(float(np.mean([p["psnr"] for p in at])))
        c.enc_s.append(float(np.mean([p["encode_s"] for p in at])))
    return c


def report(efforts: dict[int, Curve], others: list[Curve], images: list[str], command: str,
           cpus: set[str]) -> str:
    base = efforts[min(efforts)]
    header = ["effort", "encode s/image", "× effort 1", f"BD-rate vs effort {min(efforts)}",
              *[f"vs {c.name}" for c in others]]
    rows = []
    for e, c in efforts.items():
        t = float(np.mean(c.enc_s))
        rows.append([e, f"{t:.1f}", f"{t / float(np.mean(base.enc_s)):.0f}×",
                     "—" if c is base else f"{bd_rate(base.bpp, base.psnr, c.bpp, c.psnr):+.1f} %",
                     *[f"{bd_rate(o.bpp, o.psnr, c.bpp, c.psnr):+.1f} %" for o in others]])
    points = [[e, q, f"{c.bpp[i]:.3f}", f"{c.psnr[i]:.2f}", f"{c.enc_s[i]:.1f}"]
              for e, c in efforts.items() for i, q in enumerate(c.settings)]
    return "\n".join([
        f"`{command}` — {len(images)} Kodak images ({', '.join(images)}), qualities "
        f"{', '.join(f'{q:g}' for q in base.settings)}; points recorded on {', '.join(sorted(cpus))}; this run: "
        f"{machine_line()}.", "",
        "Negative BD-rate = fewer bits for the same RGB PSNR. Effort 1 is the single analysis pass (the default); "
        "2-5 search each tile's latents (restore/codecs/refine.py); every file decodes with the same decoder.", "",
        table(header, rows), "",
        "<details><summary>Every point (mean over the images)</summary>", "",
        table(["effort", "quality", "bpp", "PSNR", "encode s"], points), "", "</details>"])


def tune(args) -> None:
    """One search trajectory (see the module docstring)."""
    import math

    from PIL import Image as P

    from restore.api import load
    from restore.codecs.refine import Effort, lambda_at, rd_objective, refine_latents
    from restore.recipes.data import find_images
    from restore.runtime import autocast

    codec = load(args.model)
    net, q = codec.net, float(args.tune)
    photo = sorted(find_images([Path(args.tune_data)]))[-1]
    arr = np.asarray(P.open(photo).convert("RGB"))
    top, left = (arr.shape[0] - 512) // 2, (arr.shape[1] - 512) // 2
    x = torch.from_numpy(arr[top:top + 512, left:left + 512].copy()).permute(2, 0, 1)[None].float() / 255
    feats = codec.analyse(x)
    lam = lambda_at(net, q)

    def hard(y, z, inv):
        with torch.no_grad(), autocast(codec.precision):
            _, b, m = rd_objective(net, x, y, z, inv, lam, torch.round, (512, 512))
        return float(b), 10 * math.log10(1 / float(m))

    def start(qq):
        g, inv = net.gains(qq)
        y = feats.float() * g
        return y, net.hyper.h_a(y), inv

    (b1, p1), (b2, p2) = hard(*start(q - 0.5)), hard(*start(q + 0.5))
    slope = (p2 - p1) / math.log2(b2 / b1)
    effort = Effort(steps=args.steps, lr=args.lr, rounding=args.rounding, lam_scale=args.lam_scale, guard=False)
    y0, z0, inv = start(q)
    b0, p0 = hard(y0, z0, inv)
    print(f"{photo.name} q{q:g}: {b0:.4f} bpp {p0:.2f} dB at effort 1; {slope:.2f} dB per doubling of the rate")
    t0 = time.perf_counter()

    def report_step(step: int, y: torch.Tensor, z: torch.Tensor) -> None:
        if step in (2, 5, 10, 20, 40, 80, 100, 160, 200) or step == effort.steps:
            b, p = hard(y.detach(), z.detach(), inv)
            saved = (b / b0) * 2 ** ((p0 - p) / slope) - 1
            print(f"step {step:4d}: {b:.4f} bpp {p:.2f} dB  rate at equal PSNR {100 * saved:+.1f} %  "
                  f"({(time.perf_counter() - t0) / step:.2f} s/step)", flush=True)

    refine_latents(net, x, feats, q, effort, (512, 512), codec.precision,
                   step_done=report_step)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="codec")
    ap.add_argument("--efforts", default="1,2,3,4,5")
    ap.add_argument("--qualities", default="1,3,5,7")
    ap.add_argument("--limit", type=int, default=4, help="the first N Kodak images (0: all 24)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--points", default=str(POINTS), help="where points are recorded and reused")
    ap.add_argument("--no-write", action="store_true", help="print, do not update BENCHMARKS.md")
    ap.add_argument("--tune", type=float, default=None, metavar="Q", help="one search trajectory at quality Q")
    ap.add_argument("--tune-data", default=str(ROOT.parent / "shared/data/train/CLIC2025_crop1024"))
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--lr", type=float, default=0.005)
    ap.add_argument("--rounding", default="noise-sga")
    ap.add_argument("--lam-scale", type=float, default=1.0)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    keep_heap()
    if args.tune is not None:
        return tune(args)
    from PIL import Image as P

    from restore.api import load

    codec = load(args.model)
    efforts = [int(e) for e in args.efforts.split(",")]
    qualities = [float(q) for q in args.qualities.split(",")]
    paths = bench_images("Kodak24")[:args.limit or None]
    images = {p.stem: np.asarray(P.open(p).convert("RGB")) for p in paths}
    store = Path(args.points)
    known = load_points(store)
    for name, arr in images.items():
        for e in efforts:
            for q in qualities:
                key = (codec.id, name, e, q)
                if key in known:
                    continue
                r = {"model": codec.id, "image": name, "effort": e, "quality": q, "cpu": cpu_name(),
                     "threads": args.threads, **measure_point(codec, arr, e, q)}
                print(json.dumps(r), file=sys.stderr, flush=True)
                store.parent.mkdir(parents=True, exist_ok=True)
                with store.open("a") as f:
                    f.write(json.dumps(r) + "\n")
                known[key] = r
    per = {e: curve(f"effort {e}", [known[(codec.id, n, e, q)] for n in images for q in qualities], qualities)
           for e in efforts}
    wanted = {"WebP", "AVIF", "JPEG XL"}
    others = [measure(n, enc, dec, s, list(images.values())) for n, (enc, dec, s) in classical().items()
              if n in wanted]
    cpus = {known[(codec.id, n, e, q)]["cpu"] for n in images for e in efforts for q in qualities}
    command = "python -m benchmarks.codec_effort " + " ".join(argv if argv is not None else sys.argv[1:])
    body = report(per, others, list(images), command.strip(), cpus)
    print(body)
    if not args.no_write:
        write_section("codec_effort", "## Codec: encoder effort (Kodak)\n\n" + body)


if __name__ == "__main__":
    main()
