"""Burst fusion on held-out synthetic bursts: the reference frame, single-frame denoising, ECC align-and-merge,
ours.

    python -m benchmarks.burst                            # Kodak24, 8 frames at σ 25 with a moving object
    python -m benchmarks.burst --limit 4 --no-write

Cases come from ``benchmarks/synthetic.py`` (seeded per image, from bench images only). `denoise (1 frame)`
is our shipped denoiser on the reference frame given the true σ; `ECC + robust mean` is the classical
align-and-merge anchor. `ours` is `restore burst`: the fusion network plus its single-frame fallback (the
shipped denoiser at the estimated σ where the merge could not average). A second table scores only the moving
object's box (ghosting shows there).
PSNR/SSIM on RGB 0-255; s/MP: wall seconds per megapixel.
"""
from __future__ import annotations

import argparse
import time

import torch

from benchmarks.synthetic import Scores, burst_cases, example, figure, optional_model, report, seeded, uhd_table


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default="Kodak24")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--frames", type=int, default=8)
    ap.add_argument("--sigma", type=float, default=25.0)
    ap.add_argument("--model", default="burst-x1")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--uhd", action="store_true", help="also time the CLI on 1080p and 4K inputs")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)

    fuse, denoiser = optional_model(args.model), optional_model("denoise")
    whole, obj = Scores(), Scores()
    for _, b in burst_cases(args.sets.split(","), args.limit, args.frames, args.sigma):
        y, x, s = b.object_box
        row = f"{args.frames} frames, σ {args.sigma:g}"
        for name, (out, secs) in run_methods(b, fuse, denoiser, args.sigma).items():
            whole.add(row, name, out, b.target, secs)
            obj.add("moving object box", name, out[:, y:y + s, x:x + s], b.target[:, y:y + s, x:x + s], 0.0)
    tables = [whole.markdown(NAMES), obj.markdown(NAMES)]
    if fuse is not None:
        tables.append(burst_figure(fuse, denoiser, args.frames, args.sigma))
    if args.uhd and fuse is not None:
        tables.append(uhd_table(["burst", "--model", fuse.id], frames=args.frames))
    report("burst", "Burst fusion", "burst", argv, fuse, __doc__, tables, not args.no_write,
           whole.metrics(args.sets, NAMES) | obj.metrics(args.sets, NAMES))


NAMES = ["reference frame", "denoise (1 frame)", "ECC + robust mean", "ours"]


def run_methods(b, fuse, denoiser, sigma: float) -> dict[str, tuple[torch.Tensor, float]]:
    """{method: (output, seconds)} for one burst; the models that are not installed are left out."""
    from restore.classical import align_and_merge
    from restore.io import Image

    methods = [("ECC + robust mean", lambda: torch.from_numpy(align_and_merge(
        [f.permute(1, 2, 0).double().numpy() for f in b.frames])).permute(2, 0, 1))]
    if denoiser is not None:
        methods.append(("denoise (1 frame)", lambda: denoiser(Image(b.frames[0]), sigma=sigma).pixels))
    if fuse is not None:
        methods.append(("ours", lambda: fuse([Image(f) for f in b.frames]).pixels))
    outs = {"reference frame": (b.frames[0], 0.0)}
    for name, fn in methods:
        t = time.perf_counter()
        outs[name] = (fn(), time.perf_counter() - t)
    return outs


def burst_figure(fuse, denoiser, frames: int, sigma: float) -> str:
    """A burst of the astronaut example with a moving patch, around the patch: every method, then clean."""
    from restore.degrade import synth_burst

    clean = example("astronaut.png")
    b = synth_burst(clean, frames, seeded("figure", "burst"), sigma=sigma, moving_object=True)
    outs = run_methods(b, fuse, denoiser, sigma)
    y, x, s = b.object_box
    side = 224
    cy = min(max(y + s // 2 - side // 2, 0), clean.shape[1] - side)
    cx = min(max(x + s // 2 - side // 2, 0), clean.shape[2] - side)
    panels = [(name, outs[name][0]) for name in NAMES if name in outs] + [("clean", b.target)]
    return figure("burst", [panels], box=(cy, cx, side))


if __name__ == "__main__":
    main()
