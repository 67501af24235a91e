"""CPU speed of every task: plain fp32 eager against the automatic path (bf16 autocast + channels_last where the
CPU has native bf16), optionally torch.compile and onnxruntime, next to the FLOP bound of this CPU; and the
quality each path gives on bench images, so a faster path that loses quality shows.

    python -m benchmarks.speed                      # writes the `speed` section of BENCHMARKS.md
    python -m benchmarks.speed --tasks sr --limit 2 --no-write
    python -m benchmarks.speed --compile            # also torch.compile (minutes of compiling per model)

Speed: median wall time of one whole call (tiling, pre/post-processing included) on a crop of the first
image, as output megapixels per second; fp32, auto (and torch.compile) are timed in alternation for about
6 s (at least 5 calls each), so a slow spell of the machine does not land on one of them. FLOPs: counted by torch's
FlopCounterMode on that call (convs and matmuls; elementwise work is not counted). The FLOP bound is FLOPs /
the measured peak of a large matmul in the same precision and thread count, so "% of bound" is how close the
task gets to what the cores can do.
Quality: PSNR against the clean image (RGB 0-255; SR: Y channel, scale-sized border cropped) on the first
``--limit`` images of each task's set, for every path on the same inputs.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import torch

from benchmarks.common import bench_images, interleaved_medians, machine_line, median_time, table, write_section
from restore.degrade.compose import seeded
from restore.degrade.noise import GaussianNoise
from restore.metrics import psnr, psnr_y
from restore.recipes.data import load_rgb_u8


def matmul_peak(dtype: torch.dtype, n: int = 2048) -> float:
    """GFLOP/s of an n×n×n matmul in ``dtype`` on the current threads (median of 5)."""
    a, b = torch.randn(n, n).to(dtype), torch.randn(n, n).to(dtype)
    return 2 * n ** 3 / median_time(lambda: torch.mm(a, b), runs=5, warmup=2) / 1e9


def count_flops(fn: Callable[[], object]) -> float:
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as fc:
        fn()
    return float(fc.get_total_flops())


@dataclass
class Case:
    """One task: the model, how to get (input, clean) pairs from its bench set, how to run and score it."""

    name: str
    model: str
    bench: str
    pairs: Callable[[int], list[tuple[torch.Tensor, torch.Tensor]]]  # limit → [(model input 0-1, clean 0-255)]
    run: Callable[[object, torch.Tensor], torch.Tensor]          # (task model, input) → output 0-1
    score: Callable[[torch.Tensor, torch.Tensor], float]         # (output 0-255, clean 0-255) → dB
    crop: int = 512                                              # speed input side
    onnx: Optional[dict] = None                                  # export options, where the task exports


def _noisy(clean: torch.Tensor, key: str, sigma: float = 25.0) -> torch.Tensor:
    return GaussianNoise(sigma)(clean, seeded(key)) / 255


def _degraded(bench: str, degrade: Callable[[torch.Tensor, str], torch.Tensor]):
    """Pairs from a clean bench set and a seeded degradation (clean 0-255 float → model input 0-1)."""
    def pairs(limit: int):
        out = []
        for p in bench_images(bench)[:limit]:
            clean = load_rgb_u8(p).float()
            out.append((degrade(clean, f"{bench}/{p.name}"), clean))
        return out
    return pairs


def _rain_pairs(limit: int):
    return [(load_rgb_u8(p).float() / 255, load_rgb_u8(p.parent.parent / "target" / p.name).float())
            for p in bench_images("Rain100L/input")[:limit]]


def _reflection_pairs(limit: int):
    from benchmarks.synthetic import reflection_cases

    return [(photo, trans * 255) for _, photo, trans in reflection_cases(["Kodak24"], limit)]


def _burst_pairs(limit: int):
    from benchmarks.synthetic import burst_cases

    return [(b.frames, b.target * 255) for _, b in burst_cases(["Kodak24"], limit)]


def _any_scale_pairs(limit: int):
    from benchmarks.sr_any import pair

    return [(lr / 255, hr) for hr, lr in (pair(load_rgb_u8(p).float(), 2.5, 2.5)
                                          for p in bench_images("Set14")[:limit])]


def _upscale_2_5(m, x: torch.Tensor) -> torch.Tensor:
    return m.upscale_tensor(x, (round(x.shape[-2] * 2.5), round(x.shape[-1] * 2.5)))


def _cases() -> dict[str, Case]:
    from restore.degrade import bicubic_downscale, jpeg_roundtrip, mod_crop, mosaic
    from restore.io import Image

    def sr_in(c, key):
        return bicubic_downscale(mod_crop(c, 4), 4) / 255

    def jpeg_in(c, key):
        return jpeg_roundtrip(c / 255, 20)

    def demosaic_run(m, x):
        return m(Image(x), pattern="RGGB", sigma=0).pixels

    def demosaic_in(c, key):
        return mosaic(c[:, :c.shape[1] // 2 * 2, :c.shape[2] // 2 * 2] / 255, "RGGB")

    def sr_score(out, clean):
        return psnr_y(out, mod_crop(clean, 4)[:, :out.shape[1], :out.shape[2]], 4)

    def cropped_psnr(out, clean):
        return psnr(out, clean[:, :out.shape[1], :out.shape[2]])

    return {
        "sr": Case("SR ×4", "sr-x4", "Set14", _degraded("Set14", sr_in), lambda m, x: m.run_tensor(x), sr_score,
                   crop=256, onnx={}),
        "sr-any": Case("SR ×2.5 (any scale)", "sr-any", "Set14", _any_scale_pairs, _upscale_2_5,
                       lambda o, c: psnr_y(o, c[:, :o.shape[1], :o.shape[2]], 3), crop=256),
        "dejpeg": Case("dejpeg q20", "dejpeg", "LIVE1", _degraded("LIVE1", jpeg_in),
                       lambda m, x: m.run_tensor(x, forward=m.tensor_fn(quality=20)), psnr, onnx={"quality": 20}),
        "denoise": Case("denoise σ25", "denoise", "CBSD68", _degraded("CBSD68", _noisy),
                        lambda m, x: m.run_tensor(x, forward=m.tensor_fn(sigma=25)), psnr, onnx={"sigma": 25}),
        "demosaic": Case("demosaic", "demosaic", "Kodak24", _degraded("Kodak24", demosaic_in), demosaic_run,
                         cropped_psnr),
        "derain": Case("derain", "weather", "Rain100L", _rain_pairs, lambda m, x: m.restore_tensor(x, "rain"), psnr),
        "dereflect": Case("dereflect", "dereflect", "Kodak24 (synthetic glass)", _reflection_pairs,
                          lambda m, x: m(Image(x)).pixels, psnr),
        "burst": Case("burst (8 frames)", "burst-x1", "Kodak24 (synthetic bursts)", _burst_pairs,
                      lambda m, x: m([Image(f) for f in x]).pixels, cropped_psnr),
        "codec": Case("codec q4 (encode + decode)", "codec", "Kodak24", _degraded("Kodak24", lambda c, key: c / 255),
                      lambda m, x: m.decode(m.encode(Image(x), quality=4)).pixels, cropped_psnr),
    }


def speed_input(x: torch.Tensor, side: int) -> torch.Tensor:
    """A side×side crop of ``x`` (…×H×W), the image repeated first where it is smaller (speed only)."""
    h, w = x.shape[-2:]
    reps = (1,) * (x.dim() - 2) + (-(-side // h), -(-side // w))
    return x.tile(reps)[..., :side, :side].contiguous()


def _out_mp(out: torch.Tensor) -> float:
    return out.shape[-1] * out.shape[-2] / 1e6


def bench_case(key: str, case: Case, limit: int, use_compile: bool, peaks: dict[str, float]) -> dict:
    import restore

    pairs = case.pairs(limit)
    x = speed_input(pairs[0][0], case.crop)
    models = {p: restore.load(case.model, precision=p) for p in ("fp32", "auto")}
    if use_compile and (compiled := _compiled(case, x)) is not None:
        models["compile"] = compiled
    quality = {}
    for p, m in models.items():
        with torch.inference_mode():
            quality[p] = sum(case.score(case.run(m, x).mul(255).round(), c) for x, c in pairs) / len(pairs)
    with torch.inference_mode():
        flops = count_flops(lambda: case.run(models["fp32"], x))
        out = case.run(models["fp32"], x)
    mp = _out_mp(out)
    row = {"task": case.name, "model": models["fp32"].id, "input": f"{x.shape[-1]}×{x.shape[-2]}",
           "bench": case.bench, "out_mp": mp, "gflop_per_mp": flops / 1e9 / mp,
           **{f"psnr_{p}": q for p, q in quality.items()},
           "auto_precision": models["auto"].precision, "images": len(pairs)}
    with torch.inference_mode():
        med = interleaved_medians({p: (lambda m=m: case.run(m, x)) for p, m in models.items()})
    row.update({f"mps_{p}": mp / t for p, t in med.items()})
    peak = peaks["bf16" if row["auto_precision"] == "bf16" else "fp32"]
    row["bound_mps"] = peak * 1e9 / (flops / mp)
    row["pct_bound"] = 100 * row["mps_auto"] / row["bound_mps"]
    if case.onnx is not None:
        row["mps_onnx"] = _onnx_speed(models["fp32"], x, case, mp)
    print(json.dumps(row), flush=True)
    return row


def _onnx_speed(model, x: torch.Tensor, case: Case, mp: float) -> Optional[float]:
    try:
        import onnxruntime as ort

        from restore.onnx_export import export_onnx
    except ImportError:
        return None
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "m.onnx"
        export_onnx(model, path, check_shapes=(), **case.onnx)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = torch.get_num_threads()
        sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        arr = model.rgb_in(x)[None].numpy()
        name = sess.get_inputs()[0].name
        return mp / median_time(lambda: sess.run(None, {name: arr}), runs=3)


def _compiled(case: Case, x: torch.Tensor):
    """The auto-precision model through torch.compile, compiled for ``x``'s shape; None where that fails."""
    import restore

    try:
        m = restore.load(case.model, precision="auto", compile=True)
        with torch.inference_mode():
            case.run(m, x)
        return m
    except Exception as e:  # noqa: BLE001 - report, do not stop the benchmark
        print(f"torch.compile failed for {case.name}: {type(e).__name__}: {str(e)[:200]}", file=sys.stderr)
        return None


def render(rows: list[dict], peaks: dict[str, float], cmd: str) -> str:
    def f(v, spec=".2f"):
        return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, spec)

    has_compile = any("mps_compile" in r for r in rows)
    head = ["task", "model", "quality on", "input", "GFLOP/MP", "fp32 eager MP/s", "auto MP/s", "speed-up",
            "onnxruntime MP/s"]
    head += ["torch.compile MP/s"] if has_compile else []
    head += ["bound MP/s", "% of bound", "PSNR fp32", "PSNR auto", "Δ dB"]
    head += ["Δ dB compile"] if has_compile else []
    body = []
    for r in rows:
        line = [r["task"], r["model"], r["bench"], r["input"], f(r["gflop_per_mp"], ".1f"), f(r["mps_fp32"]),
                f"{f(r['mps_auto'])} ({r['auto_precision']})", f(r["mps_auto"] / r["mps_fp32"], ".2f") + "×",
                f(r.get("mps_onnx"))]
        line += [f(r.get("mps_compile"))] if has_compile else []
        line += [f(r["bound_mps"], ".1f"), f(r["pct_bound"], ".1f"), f(r["psnr_fp32"]), f(r["psnr_auto"]),
                 f(r["psnr_auto"] - r["psnr_fp32"], "+.3f")]
        if has_compile:
            line.append(f(r["psnr_compile"] - r["psnr_fp32"], "+.3f") if "psnr_compile" in r else "–")
        body.append(line)
    return "\n".join([
        "## CPU speed per task",
        "",
        f"Command: `{cmd}`. {machine_line()}.",
        f"Matmul peak (2048³, same threads): fp32 {peaks['fp32']:.0f} GFLOP/s, bf16 {peaks['bf16']:.0f} GFLOP/s.",
        "",
        table(head, body),
        "",
        "MP/s counts output megapixels of one whole call (tiling and pre/post-processing included): the median "
        "of at least 5 calls, fp32, auto (and torch.compile) timed in alternation for about 6 s, so a slow spell "
        "hits them alike. "
        "\"auto\" is what the CLI and API run by default (`--precision auto`); torch.compile runs the auto path "
        "compiled (`--compile`). PSNR over the first "
        f"{rows[0]['images'] if rows else 0} images of each task's bench set, RGB 0-255 (SR: Y channel, border 4 "
        "cropped); the synthetic glass and bursts are benchmarks/synthetic.py's seeded cases. Speed inputs are a "
        "crop of the first image (repeated where it is smaller); burst: 8 such frames.",
    ])


def main(argv: Optional[list[str]] = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", default=",".join(_cases()))
    ap.add_argument("--limit", type=int, default=8, help="bench images per task for the quality check")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--compile", action="store_true", help="also measure torch.compile")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    peaks = {"fp32": matmul_peak(torch.float32), "bf16": matmul_peak(torch.bfloat16)}
    print(json.dumps({"peak_gflops": peaks}), flush=True)
    cases = _cases()
    rows = [bench_case(k, cases[k], args.limit, args.compile, peaks) for k in args.tasks.split(",")]
    cmd = "python -m benchmarks.speed" + "".join(f" {a}" for a in (argv if argv is not None else sys.argv[1:]))
    text = render(rows, peaks, cmd)
    print(text)
    if not args.no_write:
        write_section("speed", text)


if __name__ == "__main__":
    main()
