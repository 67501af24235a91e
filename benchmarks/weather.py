"""All-weather removal on held-out synthetic cases (and Rain100L's real pairs): input, dark-channel prior, ours.

    python -m benchmarks.weather                          # Kodak24 × rain/haze/snow + Rain100L
    python -m benchmarks.weather --limit 4 --no-write

Cases come from ``benchmarks/synthetic.py`` (seeded per image and kind, from bench images only). The
dark-channel prior (He et al.) is the classical anchor for haze; `ours` is told the kind, `ours (any)` is
the same model as ``restore deweather``. PSNR/SSIM on RGB 0-255; s/MP: wall seconds per megapixel.
"""
from __future__ import annotations

import argparse

import torch

from benchmarks.synthetic import Scores, optional_model, report, score, weather_cases


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default="Kodak24")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--model", default="weather")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    from restore.anchors import dark_channel_dehaze
    from restore.io import Image

    model = optional_model(args.model)
    scores = Scores()
    for kind, _, bad, clean in weather_cases(args.sets.split(","), args.limit):
        scores.add(kind, "input", bad, clean, 0.0)
        if kind == "haze":
            score(scores, kind, "dark channel", lambda: torch.from_numpy(
                dark_channel_dehaze(bad.permute(1, 2, 0).double().numpy())).permute(2, 0, 1), clean)
        if model is not None:
            known = kind.split()[0]
            score(scores, kind, "ours", lambda: model(Image(bad), kind=known).pixels, clean)
            score(scores, kind, "ours (any)", lambda: model(Image(bad)).pixels, clean)
    report("weather", "Weather removal (rain, haze, snow)", "weather", argv, model, __doc__, [scores.markdown(["input", "dark channel", "ours", "ours (any)"])], not args.no_write)


if __name__ == "__main__":
    main()
