"""JPEG-artefact removal benchmark (BENCHMARK_PROTOCOL.md "JPEG artefact removal"): PSNR, SSIM and PSNR-B on LIVE1
(gray Y and colour 4:2:0) and Classic5 (gray) at q10/20/30/40, for the JPEG itself, a classical anchor and ours
(told the quality the file's tables give, and blind); then double compression with a moved grid.

    python -m benchmarks.dejpeg                     # everything; writes the `dejpeg` section of BENCHMARKS.md
    python -m benchmarks.dejpeg --sets classic5 --qualities 10 --anchor-limit 0 --no-write

Anchor: BM3D on the decoded image (gray BM3D, colour CBM3D; the ``bench`` extra) at the σ a JPEG of that quality
leaves on average, measured on 24 training crops (never on the benchmark); it costs seconds per image, so it runs on
the first ``--anchor-limit`` images of each set (the table says how many).
"""
from __future__ import annotations

import argparse
import io
import json
import time

import numpy as np
import torch
from PIL import Image as PILImage

from benchmarks.common import bench_images, machine_line, store_metrics, table, write_section
from restore.metrics import psnr, psnr_b, rgb_to_y, ssim
from restore.recipes.data import default_train_dirs, find_images, load_rgb_u8

QUALITIES = (10, 20, 30, 40)
SETS = {"live1-gray": ("LIVE1", "gray"), "classic5": ("Classic5", "gray"), "live1-color": ("LIVE1", "color")}
# published PSNR (q10 / 20 / 30 / 40), FBCNN's README tables and paper
PUBLISHED = {
    "live1-gray": {"DnCNN-3": (29.19, 31.59, 32.98, 33.96), "FBCNN": (29.75, 32.13, 33.54, 34.53)},
    "classic5": {"DnCNN-3": (29.40, 31.63, 32.91, 33.77), "FBCNN": (30.12, 32.31, 33.54, 34.35)},
    "live1-color": {"FBCNN": (27.77, 30.11, 31.43, 32.34)},
}
DOUBLE = ((10, 30), (30, 50), (50, 70), (30, 10))       # (first, second) quality, grid moved by (4, 4) between


def load(name: str, mode: str) -> list[np.ndarray]:
    """The set's images as uint8 H×W (gray: Classic5 as stored, LIVE1 as its rounded MATLAB Y) or H×W×3."""
    out = []
    for p in bench_images(name):
        with PILImage.open(p) as im:
            if im.mode == "L":
                out.append(np.asarray(im).copy())
                continue
            rgb = np.asarray(im.convert("RGB")).copy()
        if mode == "gray":
            y = rgb_to_y(torch.from_numpy(rgb).permute(2, 0, 1).double())[0].round().clamp(0, 255)
            out.append(y.byte().numpy())
        else:
            out.append(rgb)
    return out


def jpeg_bytes(arr: np.ndarray, quality: int) -> bytes:
    buf = io.BytesIO()
    PILImage.fromarray(arr).save(buf, "JPEG", quality=quality, subsampling=2)
    return buf.getvalue()


def decode(data: bytes) -> np.ndarray:
    with PILImage.open(io.BytesIO(data)) as im:
        return np.asarray(im).copy()


def as_chw(arr: np.ndarray) -> torch.Tensor:
    t = torch.from_numpy(arr).double()
    return t[None] if t.ndim == 2 else t.permute(2, 0, 1)


def scores(out: np.ndarray, ref: np.ndarray) -> tuple[float, float, float]:
    a, b = as_chw(out), as_chw(ref)
    return psnr(a, b), ssim(a, b), psnr_b(a, b)


def jpeg_sigma(quality: int, crops: int = 24) -> float:
    """The RMS error (8-bit units) a JPEG of ``quality`` leaves on training crops (for the BM3D anchor)."""
    paths = find_images(default_train_dirs())[:crops]
    errs = []
    for p in paths:
        x = load_rgb_u8(p)[:, :256, :256].permute(1, 2, 0).numpy()
        errs.append(float(((decode(jpeg_bytes(x, quality)).astype(float) - x) ** 2).mean()))
    return float(np.sqrt(np.mean(errs)))


def bm3d_anchor(jpeg: np.ndarray, sigma: float) -> np.ndarray:
    import bm3d

    z = jpeg.astype(np.float64) / 255
    y = bm3d.bm3d(z, sigma / 255) if z.ndim == 2 else bm3d.bm3d_rgb(z, sigma / 255)
    return np.clip(np.round(y * 255), 0, 255).astype(np.uint8)


def run_model(model, jpeg_data: bytes, quality: float | None = None,
              tables: bool = False) -> tuple[np.ndarray, float, float]:
    """(output uint8, quality used, seconds) for a JPEG file's bytes: told ``quality``, or with ``tables`` the
    quality its quantisation tables give (as ``read_image`` records it for a file), else blind."""
    from restore.io import Image
    from restore.jpeg_tables import jpeg_quality

    arr = decode(jpeg_data)
    img = Image.from_array(arr)
    if tables:
        img.meta["jpeg_quality"] = jpeg_quality(jpeg_data)
    t = time.perf_counter()
    out = model(img, quality=quality)
    secs = time.perf_counter() - t
    res = out.to_array()
    return (res[:, :, 0] if arr.ndim == 2 else res), out.meta["jpeg_quality_used"], secs


def evaluate(model, sets: list[str], qualities: tuple[int, ...], anchor_limit: int) -> list[dict]:
    rows = []
    sigmas = {q: jpeg_sigma(q) for q in qualities} if anchor_limit else {}
    for key in sets:
        name, mode = SETS[key]
        images = load(name, mode)
        for q in qualities:
            acc: dict[str, list] = {"JPEG": [], "ours": [], "ours blind": []}
            anchor, est, secs, mp = [], [], 0.0, 0.0
            for i, ref in enumerate(images):
                data = jpeg_bytes(ref, q)
                jpg = decode(data)
                acc["JPEG"].append(scores(jpg, ref))
                out, _, s = run_model(model, data, tables=True)
                acc["ours"].append(scores(out, ref))
                secs, mp = secs + s, mp + ref.shape[0] * ref.shape[1] / 1e6
                out, used, _ = run_model(model, data)
                acc["ours blind"].append(scores(out, ref))
                est.append(used)
                if i < anchor_limit:
                    anchor.append(scores(bm3d_anchor(jpg, sigmas[q]), ref))
            if anchor:
                acc[f"BM3D at the q's σ (first {len(anchor)})"] = anchor
                acc[f"JPEG (first {len(anchor)})"] = acc["JPEG"][:len(anchor)]
            for method, vals in acc.items():
                n = len(vals)
                rows.append({"set": key, "q": q, "method": method, "n": n,
                             "psnr": sum(v[0] for v in vals) / n, "ssim": sum(v[1] for v in vals) / n,
                             "psnr_b": sum(v[2] for v in vals) / n,
                             "s_per_mp": secs / mp if method == "ours" else None,
                             "sigma": sigmas[q] if method.startswith("BM3D") else None,
                             "estimated_q": float(np.mean(est)) if method == "ours blind" else None})
                print(json.dumps(rows[-1]), flush=True)
    return rows


def double_compression(model, qualities=DOUBLE, shift: int = 4) -> list[dict]:
    """LIVE1 colour saved at q1, cropped by ``shift`` pixels (the grid moves), saved at q2; scored on the crop."""
    rows = []
    images = load("LIVE1", "color")
    for q1, q2 in qualities:
        acc: dict[str, list] = {"JPEG": [], "ours (file's q2)": [], "ours blind": [], "ours told min(q1, q2)": []}
        for ref in images:
            first = decode(jpeg_bytes(ref, q1))[shift:, shift:]
            data = jpeg_bytes(np.ascontiguousarray(first), q2)
            target = ref[shift:, shift:]
            acc["JPEG"].append(scores(decode(data), target))
            acc["ours (file's q2)"].append(scores(run_model(model, data, tables=True)[0], target))
            acc["ours blind"].append(scores(run_model(model, data)[0], target))
            acc["ours told min(q1, q2)"].append(scores(run_model(model, data, float(min(q1, q2)))[0], target))
        for method, vals in acc.items():
            n = len(vals)
            rows.append({"q1": q1, "q2": q2, "method": method, "n": n, "psnr": sum(v[0] for v in vals) / n,
                         "ssim": sum(v[1] for v in vals) / n, "psnr_b": sum(v[2] for v in vals) / n})
            print(json.dumps(rows[-1]), flush=True)
    return rows


def render(rows: list[dict], double: list[dict], command: str, model_id: str, precision: str) -> str:
    lines = ["## JPEG artefact removal", "",
             f"`{command}` on {machine_line()}; model `{model_id}`, {precision}. PSNR / SSIM / PSNR-B against the "
             "uncompressed image (gray: MATLAB Y of LIVE1, Classic5 as stored; colour: RGB, 4:2:0 JPEG), no border. "
             "\"ours\" reads the quality from the file's quantisation tables, as `restore dejpeg photo.jpg` does; "
             "\"ours blind\" gets the pixels only (a PNG of a JPEG) and estimates it. Published methods are their "
             "papers' PSNR under the same protocol (the JPEG rows match theirs).", ""]
    for key in dict.fromkeys(r["set"] for r in rows):
        sub = [r for r in rows if r["set"] == key]
        qs = sorted({r["q"] for r in sub})
        lines += [f"**{key}** (n = {sub[0]['n']})", ""]
        body = []
        for method in dict.fromkeys(r["method"] for r in sub):
            cells = []
            for q in qs:
                r = next(x for x in sub if x["q"] == q and x["method"] == method)
                cells.append(f"{r['psnr']:.2f} / {r['ssim']:.4f} / {r['psnr_b']:.2f}")
            body.append([method] + cells)
        for name, vals in PUBLISHED.get(key, {}).items():
            body.append([f"{name} (published PSNR)"] + [f"{vals[QUALITIES.index(q)]:.2f}" for q in qs])
        lines += [table(["method"] + [f"q{q}" for q in qs], body), ""]
        gains = [next(x for x in sub if x["q"] == q and x["method"] == "ours")["psnr"]
                 - next(x for x in sub if x["q"] == q and x["method"] == "JPEG")["psnr"] for q in qs]
        est = [next(x for x in sub if x["q"] == q and x["method"] == "ours blind")["estimated_q"] for q in qs]
        sig = [r["sigma"] for r in sub if r.get("sigma")]
        if sig:
            lines += ["BM3D σ per quality (the RMS error JPEG leaves on training crops): "
                      + ", ".join(f"q{q} {v:.1f}" for q, v in zip(qs, sig)), ""]
        lines += ["Gain over the JPEG: " + ", ".join(f"q{q} {g:+.2f} dB" for q, g in zip(qs, gains))
                  + "; blind quality estimate (mean): " + ", ".join(f"q{q} → {e:.1f}" for q, e in zip(qs, est)), ""]
    speed = [r["s_per_mp"] for r in rows if r["s_per_mp"]]
    if speed:
        lines += [f"Speed: {np.mean(speed):.2f} s per megapixel (in-process, 2 threads, mean over the runs above).",
                  ""]
    if double:
        lines += ["**Double compression** (LIVE1 colour: saved at q1, cropped by 4 pixels so the 8×8 grid moves, "
                  "saved at q2; PSNR / SSIM / PSNR-B on the crop)", ""]
        body = []
        pairs = list(dict.fromkeys((r["q1"], r["q2"]) for r in double))
        for method in dict.fromkeys(r["method"] for r in double):
            cells = []
            for q1, q2 in pairs:
                r = next(x for x in double if (x["q1"], x["q2"]) == (q1, q2) and x["method"] == method)
                cells.append(f"{r['psnr']:.2f} / {r['ssim']:.4f} / {r['psnr_b']:.2f}")
            body.append([method] + cells)
        lines += [table(["method"] + [f"q{a} → q{b}" for a, b in pairs], body), ""]
    return "\n".join(lines)


def rerender(log: str, command: str, model_id: str, precision: str) -> None:
    """Write the section from the JSON lines a run printed (``python -m benchmarks.dejpeg … > log``), without
    running the models again."""
    rows, double = [], []
    for line in open(log):
        if line.startswith("{"):
            r = json.loads(line)
            (double if "q1" in r else rows).append(r)
    write_section("dejpeg", render(rows, double, command, model_id, precision))


def main() -> None:
    import sys

    import restore

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="dejpeg")
    ap.add_argument("--sets", default=",".join(SETS))
    ap.add_argument("--qualities", default=",".join(map(str, QUALITIES)))
    ap.add_argument("--anchor-limit", type=int, default=8)
    ap.add_argument("--precision", default="auto")
    ap.add_argument("--no-double", action="store_true")
    ap.add_argument("--no-write", action="store_true")
    a = ap.parse_args()
    model = restore.load(a.model, precision=a.precision)
    rows = evaluate(model, a.sets.split(","), tuple(int(q) for q in a.qualities.split(",")), a.anchor_limit)
    double = [] if a.no_double else double_compression(model)
    if not a.no_write:
        command = "python -m benchmarks.dejpeg " + " ".join(sys.argv[1:])
        write_section("dejpeg", render(rows, double, command.strip(), model.id, model.precision))
        metrics = {f"{r['set']}_q{r['q']}_psnr": r["psnr"] for r in rows if r["method"] == "ours"}
        metrics |= {f"{r['set']}_q{r['q']}_gain": r["psnr"] - next(
            x["psnr"] for x in rows if x["set"] == r["set"] and x["q"] == r["q"] and x["method"] == "JPEG")
            for r in rows if r["method"] == "ours"}
        store_metrics(model.id, metrics)


if __name__ == "__main__":
    main()
