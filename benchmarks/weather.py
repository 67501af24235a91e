"""All-weather removal on held-out synthetic cases (and Rain100L's real pairs): input, classical anchors, ours.

    python -m benchmarks.weather                          # Kodak24 × rain/haze/snow + Rain100L
    python -m benchmarks.weather --limit 4 --no-write

Cases come from ``benchmarks/synthetic.py`` (seeded per image and kind, from bench images only). The
dark-channel prior (He et al.) is the classical anchor for haze, a 3×3 median filter (better than 5×5 on the
coffee example) the one for rain and snow (thin streaks and flakes); `ours` is told the kind, `ours (any)` is
the same model as ``restore deweather``. PSNR/SSIM on RGB 0-255; s/MP: wall seconds per megapixel.
"""
from __future__ import annotations

import argparse

import torch

from typing import Callable

import numpy as np

from benchmarks.synthetic import (Scores, example, figure, optional_model, report, score, seeded, uhd_table,
                                  weather_cases)
from restore.tasks.scene import WEATHER


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default="Kodak24")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--model", default="weather")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--uhd", action="store_true", help="also time the CLI on 1080p and 4K inputs")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    from restore.io import Image

    model = optional_model(args.model)
    scores = Scores()
    for kind, _, bad, clean in weather_cases(args.sets.split(","), args.limit):
        scores.add(kind, "input", bad, clean, 0.0)
        score(scores, kind, *anchor(kind, bad), clean)
        if model is not None:
            known = kind.split()[0]
            score(scores, kind, "ours", lambda: model(Image(bad), kind=known).pixels, clean)
            score(scores, kind, "ours (any)", lambda: model(Image(bad)).pixels, clean)
    tables = [scores.markdown(["input", "dark channel", "median 3×3", "ours", "ours (any)"])]
    if model is not None:
        tables.append(weather_figure(model))
    if args.uhd and model is not None:
        tables.append(uhd_table(["deweather", "--model", model.id]))
    report("weather", "Weather removal (rain, haze, snow)", "weather", argv, model, __doc__, tables, not args.no_write,
           scores.metrics(args.sets, ["ours", "ours (any)", "dark channel", "median 3×3", "input"]))


def anchor(kind: str, bad: torch.Tensor) -> tuple[str, Callable[[], torch.Tensor]]:
    """The classical method for a case: the dark channel prior for haze, a 3×3 median for streaks and flakes."""
    import cv2

    from restore.classical import dark_channel_dehaze

    arr = bad.permute(1, 2, 0).numpy()
    if kind == "haze":
        return "dark channel", lambda: torch.from_numpy(dark_channel_dehaze(arr.astype(np.float64))).permute(2, 0, 1)
    return "median 3×3", lambda: torch.from_numpy(cv2.medianBlur(arr.astype(np.float32), 3)).permute(2, 0, 1)


def weather_figure(model) -> str:
    """Rain, haze and snow on the coffee example: input | classical | ours | clean."""
    from restore.io import Image
    from restore.degrade.weather import WEATHER_OPS

    clean = example("coffee.png")
    rows = []
    for kind in WEATHER:
        bad = WEATHER_OPS[kind]()(clean, seeded("figure", kind))
        name, classical = anchor(kind, bad)
        rows.append([(f"{kind}: input", bad), (name, classical()), ("ours", model(Image(bad), kind=kind).pixels),
                     ("clean", clean)])
    return figure("weather", rows, box=(72, 172, 256))


if __name__ == "__main__":
    main()
