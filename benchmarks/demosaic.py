"""Demosaicing: ours against bilinear, Malvar2004, Menon2007 (colour-demosaicing) and OpenCV VNG/EA.

    python -m benchmarks.demosaic                         # Kodak24 and McMaster
    python -m benchmarks.demosaic --sets Kodak24 --limit 4 --no-write

Protocol (BENCHMARK_PROTOCOL.md): mosaic the 8-bit RGB image with the RGGB pattern, demosaic, round to 8-bit
(what a file holds), CPSNR over the three channels with an 8-pixel border cropped. Also measured: the masked
variant (1 % and 5 % of the sites missing, seeded per image; the classical anchor is Menon2007 after the missing
sites are filled by normalised-convolution bilinear) and joint demosaic + denoise (Gaussian σ 10 on the mosaic,
seeded; ours blind, against Menon2007 followed by OpenCV's fast NLM). Seconds per megapixel are wall time of
each method's call on this machine.
"""
from __future__ import annotations

import argparse
import sys
import time
from typing import Callable

import numpy as np
import torch

from benchmarks.common import bench_images, machine_line, store_metrics, table, write_section
from restore.degrade.bayer import mosaic, sample_missing_sites
from restore.degrade.compose import seeded
from restore.degrade.noise import GaussianNoise
from restore.metrics import psnr

SETS = ("Kodak24", "McMaster")
BORDER = 8


def _cpsnr(out: np.ndarray, ref: np.ndarray) -> float:
    q = np.clip(np.rint(out), 0, 255).transpose(2, 0, 1)
    return psnr(torch.from_numpy(q.copy()), torch.from_numpy(ref.astype(np.float64).transpose(2, 0, 1).copy()),
                border=BORDER)


def classical() -> dict[str, Callable[[np.ndarray], np.ndarray]]:
    """name → f(RGGB mosaic H×W float in 0-255) → RGB H×W×3 float in 0-255."""
    import cv2
    from colour_demosaicing import (demosaicing_CFA_Bayer_bilinear, demosaicing_CFA_Bayer_Malvar2004,
                                    demosaicing_CFA_Bayer_Menon2007)

    def ocv(code: int) -> Callable[[np.ndarray], np.ndarray]:
        # OpenCV names a layout by the 2nd and 3rd sites of its 2nd row: RGGB is "BG"
        return lambda m: cv2.cvtColor(np.clip(np.rint(m), 0, 255).astype(np.uint8), code)[..., ::-1].astype(float)

    return {"bilinear": lambda m: demosaicing_CFA_Bayer_bilinear(m, "RGGB"),
            "Malvar2004": lambda m: demosaicing_CFA_Bayer_Malvar2004(m, "RGGB"),
            "Menon2007": lambda m: demosaicing_CFA_Bayer_Menon2007(m, "RGGB"),
            "OpenCV VNG": ocv(cv2.COLOR_BayerBG2BGR_VNG),
            "OpenCV EA": ocv(cv2.COLOR_BayerBG2BGR_EA)}


def fill_missing(m: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """Missing sites of an RGGB mosaic replaced by the normalised-convolution bilinear estimate of their colour."""
    from restore.archs.demosaicnet import bilinear_demosaic

    x = torch.from_numpy(m).float()[None, None]
    valid = torch.from_numpy(~missing).float()[None, None]
    base = bilinear_demosaic(x, valid)
    est = mosaic(base)[0, 0].double().numpy()
    return np.where(missing, est, m)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default=",".join(SETS))
    ap.add_argument("--model", default="demosaic")
    ap.add_argument("--limit", type=int, default=0, help="only the first N images of each set")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    from PIL import Image as P

    from restore.api import load
    from restore.io import Image

    model = load(args.model)

    def ours(m: np.ndarray, missing: np.ndarray | None = None, sigma=0.0) -> np.ndarray:
        img = Image(torch.from_numpy(m / 255).float()[None])
        mask = None if missing is None else torch.from_numpy(missing)
        return model(img, pattern="RGGB", mask=mask, sigma=sigma).pixels.permute(1, 2, 0).double().numpy() * 255

    import cv2
    anchors = classical()
    menon = anchors["Menon2007"]
    extra = {
        "ours": ours,
        "1% missing: ours": lambda m, miss1, miss5, noisy: ours(m, miss1),
        "1% missing: Menon2007": lambda m, miss1, miss5, noisy: menon(fill_missing(m, miss1)),
        "5% missing: ours": lambda m, miss1, miss5, noisy: ours(m, miss5),
        "5% missing: Menon2007": lambda m, miss1, miss5, noisy: menon(fill_missing(m, miss5)),
        "σ10 noise: ours (blind)": lambda m, miss1, miss5, noisy: ours(noisy, None, None),
        "σ10 noise: Menon2007 + NLM": lambda m, miss1, miss5, noisy: cv2.fastNlMeansDenoisingColored(
            np.clip(np.rint(menon(noisy)), 0, 255).astype(np.uint8), None, 8, 8, 7, 21).astype(float),
    }
    names = ["ours", *anchors, *[k for k in extra if k != "ours"]]
    results: dict[tuple[str, str], tuple[float, float]] = {}
    for set_name in args.sets.split(","):
        paths = bench_images(set_name)[:args.limit or None]
        scores: dict[str, list] = {n: [] for n in names}
        secs: dict[str, float] = {n: 0.0 for n in names}
        mp = 0.0
        for p in paths:
            ref = np.asarray(P.open(p).convert("RGB"))
            h, w = ref.shape[0] // 2 * 2, ref.shape[1] // 2 * 2
            ref = ref[:h, :w]
            m = mosaic(torch.from_numpy(ref.astype(np.float64)).permute(2, 0, 1))[0].numpy()
            g = seeded(set_name, p.name)
            miss1, miss5 = (~sample_missing_sites(g, (h, w), f).valid.numpy() for f in (0.01, 0.05))
            noisy = GaussianNoise(10.0)(torch.from_numpy(m), g).numpy()
            mp += h * w / 1e6
            for n in names:
                t = time.perf_counter()
                if n == "ours":
                    out = ours(m)
                elif n in anchors:
                    out = anchors[n](m)
                else:
                    out = extra[n](m, miss1, miss5, noisy)
                secs[n] += time.perf_counter() - t
                scores[n].append(_cpsnr(out, ref))
        for n in names:
            results[(set_name, n)] = (float(np.mean(scores[n])), secs[n] / mp)
            print(f"{set_name} {n}: {results[(set_name, n)][0]:.2f} dB, {secs[n] / mp:.2f} s/MP",
                  file=sys.stderr, flush=True)
    sets = args.sets.split(",")
    rows = [[n, *[v for s in sets for v in (f"{results[(s, n)][0]:.2f}", f"{results[(s, n)][1]:.2f}")]]
            for n in names]
    header = ["method", *[h for s in sets for h in (f"{s} CPSNR", f"{s} s/MP")]]
    command = "python -m benchmarks.demosaic " + " ".join(argv if argv is not None else sys.argv[1:])
    body = "\n".join([
        "## Demosaicing (Bayer RGGB)", "",
        f"Command: `{command.strip()}`. {machine_line()}. Model: {model.id}.", "",
        "CPSNR (dB) over RGB with an 8-px border cropped, outputs rounded to 8-bit; s/MP: wall seconds per "
        "megapixel. Missing sites are seeded per image; for them the classical anchor is Menon2007 after filling "
        "the missing sites by normalised-convolution bilinear. Noisy rows add Gaussian σ 10 (8-bit units) to the "
        "mosaic; ours estimates the level (blind).", "",
        table(header, rows)])
    print(body)
    if not args.no_write:
        write_section("demosaic", body)
        ours_rows = {"ours": "clean", "1% missing: ours": "missing1", "5% missing: ours": "missing5",
                     "σ10 noise: ours (blind)": "noisy10"}
        store_metrics(args.model, {f"{s}_{k}_cpsnr": results[(s, n)][0] for s in sets for n, k in ours_rows.items()}
                      | {f"{s}_s_per_mp": results[(s, "ours")][1] for s in sets})


if __name__ == "__main__":
    main()
