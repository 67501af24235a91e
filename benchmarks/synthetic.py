"""Held-out synthetic test sets for the whole-scene and burst tasks, and the scoring they share.

Every case is made deterministically from a bench image (never a training image) with a generator seeded by
the set, the file name and the case, so every run and every method sees the same inputs:

- weather: each image with rain, with haze and with snow (the ops of ``restore.degrade.weather``);
- reflection: each image seen through glass reflecting the next image of the set (mirrored);
- burst: each image as 8 handheld frames at noise σ 25 with a moving object (``restore.degrade.burst``).

Real pairs under ``bench/`` are added where present (Rain100L's rainy/clean pairs for rain). The before/after
figures are made the same way from the bundled public-domain examples (bench images are never copied out).
"""
from __future__ import annotations

import re
import sys
import time
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import torch

from benchmarks.common import BENCH_DIR, bench_images, table
from restore.degrade.compose import seeded
from restore.metrics import psnr, ssim

__all__ = ["seeded", "load", "weather_cases", "reflection_cases", "through_glass", "burst_cases", "score", "Scores", "optional_model",
           "report", "example", "figure", "uhd_table"]


def load(path: Path, multiple: int = 2) -> torch.Tensor:
    """A bench image as 3×H×W float in [0, 1], cropped to a multiple of ``multiple``."""
    from restore.recipes.data import load_rgb_u8

    x = load_rgb_u8(path).float() / 255
    h, w = x.shape[-2:]
    return x[:, : h - h % multiple, : w - w % multiple]


def example(name: str = "coffee.png", multiple: int = 2) -> torch.Tensor:
    """A bundled (redistributable) example image, for the before/after figures."""
    return load(Path(__file__).resolve().parents[1] / "examples" / name, multiple)


def figure(name: str, rows: list[list[tuple[str, torch.Tensor]]], box: tuple[int, int, int] = (0, 0, 0)) -> str:
    """Save rows of labelled panels (each a 3×H×W tensor, cropped to ``box`` = (y, x, side) unless side is 0)
    side by side as ``benchmarks/results/<name>.jpg``; returns the markdown line that shows it."""
    from PIL import Image as PILImage, ImageDraw

    y, x, side = box
    strips = []
    for row in rows:
        panels = []
        for label, t in row:
            t = t[:, y:y + side, x:x + side] if side else t
            im = PILImage.fromarray((t.clamp(0, 1) * 255).round().byte().permute(1, 2, 0).numpy())
            ImageDraw.Draw(im).text((4, 2), label.replace("×", "x"), fill=(255, 255, 0))  # the default font is ASCII
            panels.append(np.asarray(im))
        strips.append(np.concatenate(panels, axis=1))
    out = Path(__file__).resolve().parent / "results" / f"{name}.jpg"
    out.parent.mkdir(exist_ok=True)
    PILImage.fromarray(np.concatenate(strips, axis=0)).save(out, quality=88)
    labels = " | ".join(label for label, _ in rows[0])
    return f"Before/after on a bundled example image ({labels}): ![{name}](benchmarks/results/{name}.jpg)"


def uhd_table(command: list[str], frames: int = 0) -> str:
    """``restore *command`` on the coffee example enlarged to 1920×1080 and 3840×2160 (a burst of ``frames``
    noisy handheld frames of it when ``frames`` > 0), each under ``/usr/bin/time -v``: a markdown table of wall
    seconds and peak RSS, to show that memory stays bounded as the photo grows."""
    import tempfile

    import torch.nn.functional as F

    from benchmarks.common import timed_cli
    from restore.degrade.burst import apply_burst, sample_burst
    from restore.io import Image, write_image

    rows = []
    with tempfile.TemporaryDirectory() as d:
        for w, h in ((1920, 1080), (3840, 2160)):
            big = F.interpolate(example("coffee.png")[None], size=(h, w), mode="bicubic", align_corners=False)[0]
            shots = [big]
            if frames:
                clean = big.clamp(0, 1)
                shots = apply_burst(clean, sample_burst(seeded("uhd", w), clean.shape, frames, sigma=25.0)).frames
            paths = []
            for i, f in enumerate(shots):
                paths.append(f"{d}/in{i}.png")
                write_image(Image(f), paths[-1])
            wall, rss = timed_cli([*command, *paths, "-o", f"{d}/out.png", "-q"])
            what = f"{len(paths)} frames of " if frames else ""
            rows.append([f"{what}{w}×{h}", f"`restore {' '.join(command)}`", f"{wall:.1f}", f"{rss:.0f}"])
    return ("CLI, whole process under `/usr/bin/time -v`, default tiling (input: examples/coffee.png enlarged):\n\n"
            + table(["input", "command", "wall s", "peak RSS MiB"], rows))


def weather_cases(sets: list[str], limit: int = 0) -> Iterator[tuple[str, str, torch.Tensor, torch.Tensor]]:
    """(kind, image name, degraded, clean) for every image × rain/haze/snow, then Rain100L's real pairs."""
    from restore.degrade.weather import WEATHER_OPS
    from restore.tasks.scene import WEATHER

    for s in sets:
        for p in bench_images(s)[:limit or None]:
            clean = load(p)
            for kind in WEATHER:
                yield kind, f"{s}/{p.name}", WEATHER_OPS[kind]()(clean, seeded("weather", s, p.name, kind)), clean
    real = BENCH_DIR / "Rain100L"
    if (real / "input").is_dir():
        for p in sorted((real / "input").glob("*.png")):
            yield "rain (Rain100L, real pairs)", f"Rain100L/{p.name}", load(p), load(real / "target" / p.name)


def reflection_cases(sets: list[str], limit: int = 0) -> Iterator[tuple[str, torch.Tensor, torch.Tensor]]:
    """(image name, photo through glass, transmission layer): each image reflecting the next one of its set."""
    for s in sets:
        paths = bench_images(s)[:limit or None]
        for i, p in enumerate(paths):
            photo, trans = through_glass(load(p), load(paths[(i + 1) % len(paths)]), seeded("reflect", s, p.name))
            yield f"{s}/{p.name}", photo, trans


def through_glass(scene: torch.Tensor, other: torch.Tensor, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """(photo, transmission layer): ``scene`` behind glass reflecting ``other`` (mirrored, resized to fit)."""
    import torch.nn.functional as F

    from restore.degrade.reflection import ThroughGlass, transmitted

    other = F.interpolate(other.flip(-1)[None], size=scene.shape[-2:], mode="bilinear", align_corners=False)[0]
    photo, p = ThroughGlass(other.clamp(0, 1)).run(scene, gen)
    return photo, transmitted(scene, p)


def burst_cases(sets: list[str], limit: int = 0, frames: int = 8, sigma: float = 25.0, scale: int = 1):
    """(image name, Burst) with a moving object, ``frames`` frames at noise ``sigma``."""
    from restore.degrade.burst import apply_burst, sample_burst

    for s in sets:
        for p in bench_images(s)[:limit or None]:
            clean = load(p, multiple=2 * scale)
            params = sample_burst(seeded("burst", s, p.name), clean.shape, frames, scale=scale, sigma=sigma,
                                  moving_object=True)
            yield f"{s}/{p.name}", apply_burst(clean, params)


class Scores:
    """PSNR / SSIM (RGB, 0-255) and seconds per megapixel of named methods, grouped by a row key."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, list]] = {}

    def add(self, row: str, method: str, out: torch.Tensor, ref: torch.Tensor, seconds: float) -> None:
        a, b = out.clamp(0, 1).double() * 255, ref.double() * 255
        rec = self.rows.setdefault(row, {}).setdefault(method, [[], [], 0.0, 0.0])
        rec[0].append(psnr(a, b))
        rec[1].append(ssim(a, b))
        rec[2] += seconds
        rec[3] += ref.shape[-1] * ref.shape[-2] / 1e6
        print(f"{row} {method}: {rec[0][-1]:.2f} dB", file=sys.stderr, flush=True)

    def markdown(self, methods: list[str]) -> str:
        header = ["case", "images"] + [h for m in methods for h in (f"{m} PSNR", f"{m} SSIM", f"{m} s/MP")]
        rows = []
        for key, by_method in self.rows.items():
            n = len(next(iter(by_method.values()))[0])
            row: list = [key, n]
            for m in methods:
                r = by_method.get(m)
                row += ["-"] * 3 if r is None else [f"{np.mean(r[0]):.2f}", f"{np.mean(r[1]):.4f}",
                                                   "-" if r[2] == 0 else f"{r[2] / r[3]:.2f}"]
            rows.append(row)
        return table(header, rows)


    def metrics(self, prefix: str, methods: list[str]) -> dict[str, float]:
        """Mean PSNR of ``methods`` per row, keyed ``<prefix>_<row>_<method>_psnr`` for the manifest."""
        slug = lambda t: re.sub(r"[^a-z0-9]+", "_", t.lower().replace("σ", "sigma")).strip("_")  # noqa: E731
        return {f"{slug(prefix)}_{slug(row)}_{slug(m)}_psnr": float(np.mean(r[m][0]))
                for row, r in self.rows.items() for m in methods if m in r}


def score(scores: Scores, row: str, method: str, fn: Callable[[], torch.Tensor], ref: torch.Tensor) -> None:
    """Time ``fn()`` and record its output against ``ref``."""
    t = time.perf_counter()
    out = fn()
    scores.add(row, method, out, ref, time.perf_counter() - t)


def optional_model(name: str):
    """The installed model ``name``, or None (with a note) when it has not been trained yet."""
    from restore.api import load

    try:
        return load(name)
    except KeyError:
        print(f"no {name!r} model installed: its rows are left out", file=sys.stderr)
        return None


def report(key: str, title: str, script: str, argv: list[str] | None, model, doc: str, tables: list[str],
           write: bool, metrics: dict[str, float] | None = None) -> None:
    """Print the BENCHMARKS.md section (title, exact command, machine, model, the script's protocol paragraph,
    tables) and, unless ``write`` is False, write it and store ``metrics`` in the model's manifest entry."""
    from benchmarks.common import machine_line, store_metrics, write_section

    command = f"python -m benchmarks.{script} " + " ".join(argv if argv is not None else sys.argv[1:])
    body = "\n".join([f"## {title}", "", f"Command: `{command.strip()}`. {machine_line()}. Model: "
                      f"{model.id if model else 'none installed'}.", "", doc.split("\n\n", 2)[2].strip(), "",
                      "\n\n".join(tables)])
    print(body)
    if write:
        write_section(key, body)
        if model is not None and metrics:
            store_metrics(model.id, metrics)
