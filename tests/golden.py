"""Every default model at fp32 on a small fixed input: the outputs committed under tests/data/golden/ pin what
the shipped weights compute, so a refactor (or a storage change) that alters a result fails within one 8-bit
level. ``python tests/golden.py [NAME …]`` rewrites them, or the named ones (only when a model is meant to
change)."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from helpers import EXAMPLES  # noqa: E402

GOLDEN = Path(__file__).resolve().parent / "data" / "golden"


def crop(y: int = 100, x: int = 200, size: int = 48) -> torch.Tensor:
    """A 3×size×size crop of the bundled astronaut photo, 0-1."""
    from restore.io import read_image

    return read_image(EXAMPLES / "astronaut.png").pixels[:, y:y + size, x:x + size].contiguous()


def noisy(x: torch.Tensor, sigma: float, seed: int) -> torch.Tensor:
    return x + torch.randn(x.shape, generator=torch.Generator().manual_seed(seed)) * sigma / 255


def _codec() -> torch.Tensor:
    from restore.api import decode, encode

    return decode(encode(crop(64, 128, 64).permute(1, 2, 0).mul(255).round().byte().numpy(), quality=2),
                  precision="fp32").pixels


def cases() -> dict[str, Callable[[], torch.Tensor]]:
    """name → the output of one default model on its fixed input (C×H×W, 0-1)."""
    from restore.api import load
    from restore.degrade import jpeg_roundtrip, mosaic
    from restore.io import Image

    def run(model: str, x: torch.Tensor, **kw) -> Callable[[], torch.Tensor]:
        return lambda: load(model, precision="fp32")(Image(x), **kw).pixels

    x = crop()
    out = {f"sr-x{s}": run(f"sr-x{s}", crop(size=32)) for s in (2, 3, 4)}
    out |= {
        "sr-any-x2.5": run("sr-any", crop(size=32), scale=2.5),
        "denoise-s25": run("denoise", noisy(x, 25, 1), sigma=25.0),
        "denoise-blind": run("denoise", noisy(x, 15, 2)),
        "dejpeg-q20": run("dejpeg", jpeg_roundtrip(x, 20), quality=20.0),
        "dejpeg-blind": run("dejpeg", jpeg_roundtrip(x, 30)),
        "demosaic": run("demosaic", mosaic(x), pattern="RGGB"),
        "derain": run("weather", x, kind="rain"),
        "dehaze": run("weather", x, kind="haze"),
        "dereflect": run("dereflect", x),
        "burst": lambda: load("burst-x1", precision="fp32")([Image(noisy(x, 20, s).clamp(0, 1)) for s in range(4)]).pixels,
        "codec-q2": _codec,
    }
    return out


def to_u8(x: torch.Tensor) -> np.ndarray:
    return x.clamp(0, 1).mul(255).round().byte().permute(1, 2, 0).numpy()


def main(names: list[str]) -> None:
    """Write the named cases (all when none are named)."""
    from PIL import Image as P

    torch.set_num_threads(2)
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for name, fn in cases().items():
        if names and name not in names:
            continue
        P.fromarray(to_u8(fn())).save(GOLDEN / f"{name}.png")
        print(name)


if __name__ == "__main__":
    main(sys.argv[1:])
