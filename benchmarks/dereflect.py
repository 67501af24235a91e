"""Reflection removal on held-out synthetic glass photos: input against ours.

    python -m benchmarks.dereflect                        # Kodak24, each image reflecting the next
    python -m benchmarks.dereflect --limit 4 --no-write

Cases come from ``benchmarks/synthetic.py`` (seeded per image, from bench images only); the target is the
transmission layer. PSNR/SSIM on RGB 0-255; s/MP: wall seconds per megapixel.
"""
from __future__ import annotations

import argparse
import sys

import torch

from benchmarks.common import machine_line, write_section
from benchmarks.synthetic import Scores, reflection_cases, score


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default="Kodak24")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--model", default="dereflect")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    from restore.api import load
    from restore.io import Image

    try:
        model = load(args.model)
    except KeyError:
        model = None
        print(f"no {args.model!r} model installed: measuring the input only", file=sys.stderr)
    scores = Scores()
    for _, photo, trans in reflection_cases(args.sets.split(","), args.limit):
        scores.add("reflection", "input", photo, trans, 0.0)
        if model is not None:
            score(scores, "reflection", "ours", lambda: model(Image(photo)).pixels, trans)
    command = "python -m benchmarks.dereflect " + " ".join(argv if argv is not None else sys.argv[1:])
    body = "\n".join(["## Reflection removal", "",
                      f"Command: `{command.strip()}`. {machine_line()}. Model: "
                      f"{model.id if model else 'none installed'}.", "", __doc__.split("\n\n", 2)[2].strip(), "",
                      scores.markdown(["input", "ours"])])
    print(body)
    if not args.no_write:
        write_section("dereflect", body)


if __name__ == "__main__":
    main()
