"""Community model files (spandrel) beside our own SR model: CPU seconds per output megapixel, fp32 and auto
(bf16 where the CPU has it and spandrel allows it), how far bf16 moves the output, and how exact tiling is per
architecture (tiled against whole-image output, 8-bit levels).

    python -m benchmarks.community            # writes the `community` section of BENCHMARKS.md
    python -m benchmarks.community --no-write

Random weights at the published sizes (timing does not depend on the values): SRVGGNetCompact as in
Real-ESRGAN's realesr-general-x4v3 (64 features, 32 convs) and RRDBNet as in RealESRGAN_x4plus (64 features, 23
blocks). Exactness uses small instances of several architectures on an odd-sized crop.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch

from benchmarks.common import machine_line, table, write_section


def _save(net: torch.nn.Module, folder: Path, name: str) -> Path:
    torch.manual_seed(0)
    with torch.no_grad():
        for p in net.parameters():
            p.add_(torch.randn_like(p) * 0.02)
    path = folder / f"{name}.pth"
    torch.save(net.state_dict(), path)
    return path


def seconds_per_mp(model, lr_side: int, runs: int = 3) -> float:
    """Median in-process seconds per output megapixel for an lr_side² input (one tile)."""
    x = torch.rand(3, lr_side, lr_side, generator=torch.Generator().manual_seed(0))
    model.run_tensor(x, tile=lr_side)                        # warm-up
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        model.run_tensor(x, tile=lr_side)
        times.append(time.perf_counter() - t)
    out_mp = (lr_side * model.scale) ** 2 / 1e6
    return sorted(times)[len(times) // 2] / out_mp


def bf16_psnr(path: Path, lr_side: int = 64) -> float:
    """PSNR (dB) of the auto-precision output against fp32 on a photo crop."""
    import restore
    from benchmarks.synthetic import example
    from restore.metrics import psnr

    x = example("coffee.png")[:, 100:100 + lr_side, 200:200 + lr_side]
    a = restore.load(str(path), precision="fp32").run_tensor(x, tile=lr_side)
    b = restore.load(str(path), precision="auto").run_tensor(x, tile=lr_side)
    return psnr(a * 255, b * 255)


def tiling_exactness(folder: Path) -> list[list]:
    """Max and mean 8-bit difference, tiled (--tile 24) against whole-image, per architecture."""
    import restore
    from benchmarks.synthetic import example
    from spandrel.architectures.Compact import Compact
    from spandrel.architectures.ESRGAN import ESRGAN
    from spandrel.architectures.SPAN import SPAN
    from spandrel.architectures.SwinIR import SwinIR

    nets = {"SRVGGNetCompact ×4": Compact(num_feat=32, num_conv=8, upscale=4),
            "RRDBNet ×4": ESRGAN(num_filters=32, num_blocks=2, scale=4),
            "RRDBNet ×2 (pixel-unshuffle)": ESRGAN(num_filters=32, num_blocks=2, scale=2, shuffle_factor=2),
            "SPAN ×2": SPAN(num_in_ch=3, num_out_ch=3, feature_channels=32, upscale=2),
            "SwinIR ×2 (window 8, 2×4 blocks)": SwinIR(img_size=64, embed_dim=24, depths=[4, 4], num_heads=[2, 2],
                                                       window_size=8, upscale=2, upsampler="pixelshuffle")}
    x = example("coffee.png")[:, 90:173, 150:247]            # 83×97
    rows = []
    for i, (name, net) in enumerate(nets.items()):
        m = restore.load(str(_save(net, folder, f"net{i}")), precision="fp32")
        whole = m.run_tensor(x, tile=512).mul(255).round()
        tiled = m.run_tensor(x, tile=24).mul(255).round()
        d = (whole - tiled).abs()
        rows.append([name, int(d.max()), f"{float(d.mean()):.4f}", m.spandrel.tiling.name.lower()])
        print(rows[-1], flush=True)
    return rows


def main() -> None:
    import sys

    import restore
    from spandrel.architectures.Compact import Compact
    from spandrel.architectures.ESRGAN import ESRGAN

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lr-side", type=int, default=96, help="LR side of the timed input")
    ap.add_argument("--no-write", action="store_true")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        files = {"SRVGGNetCompact (64 feat., 32 convs)": _save(Compact(num_feat=64, num_conv=32, upscale=4), folder,
                                                               "compact"),
                 "RRDBNet (64 feat., 23 blocks)": _save(ESRGAN(num_filters=64, num_blocks=23, scale=4), folder, "rrdb")}
        rows = []
        for name, path in files.items():
            fp32 = seconds_per_mp(restore.load(str(path), precision="fp32"), a.lr_side)
            auto_model = restore.load(str(path), precision="auto")
            auto = seconds_per_mp(auto_model, a.lr_side)
            rows.append([name, f"{fp32:.2f}", f"{auto:.2f} ({auto_model.precision})", f"{bf16_psnr(path):.1f}"])
            print(rows[-1], flush=True)
        for ours in ("sr-x4", "sr-real-x4"):
            try:
                fp32 = seconds_per_mp(restore.load(ours, precision="fp32"), a.lr_side)
            except KeyError:
                continue
            auto_model = restore.load(ours, precision="auto")
            rows.append([f"ours: {ours} ({auto_model.id})", f"{fp32:.2f}",
                         f"{seconds_per_mp(auto_model, a.lr_side):.2f} ({auto_model.precision})", "-"])
            print(rows[-1], flush=True)
        exact = tiling_exactness(folder)
    if a.no_write:
        return
    command = ("python -m benchmarks.community " + " ".join(sys.argv[1:])).strip()
    body = ["## Community models (spandrel)", "",
            f"`{command}` on {machine_line()}. ×4 from a {a.lr_side}² input, one tile, median of 3 after a "
            "warm-up; random weights at the published sizes. \"auto\" is bf16 autocast where the CPU has native bf16 "
            "and spandrel marks the architecture bf16-safe; the last column is the PSNR of that output against fp32 "
            "on a photo crop (random weights magnify differences; trained ones differ less).", "",
            table(["model", "fp32 s/MP (output)", "auto s/MP", "auto vs fp32 PSNR (dB)"], rows), "",
            "**Tiling exactness** (small random instances, an 83×97 crop, `--tile 24` against the whole image, fp32, "
            "8-bit levels). Tiles take context from the image only and start on the model's size multiple, so "
            "convolutional networks whose receptive field fits the 32-pixel overlap are exact; window attention "
            "reaches further and differs slightly, and the 16-pixel cross-fade between tiles hides the edge.", "",
            table(["architecture", "max diff", "mean diff", "spandrel's tiling advice"], exact)]
    write_section("community", "\n".join(body))


if __name__ == "__main__":
    main()
