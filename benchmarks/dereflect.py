"""Reflection removal on held-out synthetic glass photos: input, the classical anchor, ours.

    python -m benchmarks.dereflect                        # Kodak24, each image reflecting the next
    python -m benchmarks.dereflect --limit 4 --no-write

Cases come from ``benchmarks/synthetic.py`` (seeded per image, from bench images only); the target is the
transmission layer. The anchor is Yang et al.'s fast convex reflection suppression (CVPR 2019,
`restore.classical.suppress_reflection`) at gradient threshold 0.01, the best of 0.005-0.08 on 12 BSDS500-train
cases (input 21.15 dB; 0.01: 21.16; 0.05: 20.82). PSNR/SSIM on RGB 0-255; s/MP: wall seconds per megapixel.
"""
from __future__ import annotations

import argparse

import torch

from benchmarks.synthetic import (Scores, example, figure, optional_model, reflection_cases, report, score, seeded,
                                  through_glass, uhd_table)

ANCHOR = "Yang 2019 (convex)"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default="Kodak24")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--model", default="dereflect")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--uhd", action="store_true", help="also time the CLI on 1080p and 4K inputs")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    from restore.io import Image

    model = optional_model(args.model)
    scores = Scores()
    for _, photo, trans in reflection_cases(args.sets.split(","), args.limit):
        scores.add("reflection", "input", photo, trans, 0.0)
        score(scores, "reflection", ANCHOR, lambda: classical(photo), trans)
        if model is not None:
            score(scores, "reflection", "ours", lambda: model(Image(photo)).pixels, trans)
    tables = [scores.markdown(["input", ANCHOR, "ours"])]
    if model is not None:
        photo, trans = through_glass(example("coffee.png"), example("astronaut.png"), seeded("figure", "reflect"))
        out, layer = model(Image(photo), layer=True)
        tables.append(figure("dereflect", [[("input", photo), (ANCHOR, classical(photo)), ("ours", out.pixels),
                                            ("transmission", trans), ("ours: reflection", layer.pixels)]],
                             box=(72, 172, 256)))
    if args.uhd and model is not None:
        tables.append(uhd_table(["dereflect", "--model", model.id]))
    report("dereflect", "Reflection removal", "dereflect", argv, model, __doc__, tables, not args.no_write,
           scores.metrics(args.sets, ["ours", ANCHOR, "input"]))


def classical(photo: torch.Tensor) -> torch.Tensor:
    """The anchor: :func:`restore.classical.suppress_reflection` at the threshold chosen on training images."""
    from restore.classical import suppress_reflection

    return torch.from_numpy(suppress_reflection(photo.permute(1, 2, 0).double().numpy(), threshold=0.01)).permute(2, 0, 1)


if __name__ == "__main__":
    main()
