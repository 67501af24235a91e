"""Does a ``.rst`` file decode to the same thing on other hardware? Write sample files and what this machine
decodes from them, then decode them elsewhere (another CPU, other thread counts, a CUDA GPU) and compare.

    python -m benchmarks.codec_portability write DIR     # here: DIR/*.rst and DIR/expected.json (+ .npy pixels)
    python -m benchmarks.codec_portability check DIR     # there: prints one JSON line per file and way of decoding

Compared: every tile's decoded latents (the symbols and the fixed-point means, which must be bit-identical
everywhere, or the entropy decoder would go astray) and the decoded 8-bit pixels (fp32 synthesis, which may
differ by float rounding). With CUDA, ``check`` also runs the integer hyper path's matrix products (float64)
and, for one-tile files, the synthesis transform on the GPU.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import platform
import sys
from pathlib import Path

import numpy as np
import torch

import restore
import restore.codecs.fixedpoint as fixedpoint
from restore.api import codec_for
from restore.codecs.container import stream, unpack
from restore.io import read_image

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
CASES = [("astronaut.png", 1.0, 1024), ("astronaut.png", 4.5, 1024), ("coffee.png", 8.0, 1024),
         ("coffee.png", 3.0, 192)]                          # (image, quality, tile): the last one has 12 tiles


def tile_latents(data: bytes) -> list[torch.Tensor]:
    """Each tile's fixed-point ``y_hat`` as the decoder computes it (entropy decoding + integer hyper path)."""
    codec = codec_for(data, precision="fp32")
    h, streams = unpack(data)
    return [codec.tile_latents(h, i, stream(h, streams, 3 + i, f"tile {i}")) for i in range(h.grid[0] * h.grid[1])]


def digest(t: torch.Tensor | np.ndarray) -> str:
    a = t.contiguous().numpy() if isinstance(t, torch.Tensor) else np.ascontiguousarray(t)
    return hashlib.sha256(a.tobytes()).hexdigest()


def to_u8(pixels: torch.Tensor) -> np.ndarray:
    return (pixels.clamp(0, 1) * 255).round().to(torch.uint8).numpy()


def write(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    expected = {}
    for name, q, tile in CASES:
        data = restore.encode(read_image(EXAMPLES / name), quality=q, tile=tile, precision="fp32")
        fn = f"{Path(name).stem}_q{q:g}_t{tile}.rst"
        (folder / fn).write_bytes(data)
        px = to_u8(restore.decode(data, precision="fp32").pixels)
        np.save(folder / f"{fn}.npy", px)
        expected[fn] = {"latents": [digest(t) for t in tile_latents(data)], "pixels": digest(px)}
        print(fn, len(data), "bytes,", len(expected[fn]["latents"]), "tiles", flush=True)
    (folder / "expected.json").write_text(json.dumps(expected, indent=1))


def _report(folder: Path, expected: dict, fn: str, how: str, lat: list, px: np.ndarray | None) -> dict:
    row = {"file": fn, "how": how, "latents_equal": [digest(t) for t in lat] == expected[fn]["latents"]}
    if px is not None:
        d = np.abs(px.astype(np.int16) - np.load(folder / f"{fn}.npy").astype(np.int16))
        row.update(pixels_equal=digest(px) == expected[fn]["pixels"], max_diff=int(d.max()),
                   pixels_differing=int((d > 0).sum()), pixels=int(d.size))
    print(json.dumps(row), flush=True)
    return row


def check(folder: Path, threads: tuple[int, ...]) -> list[dict]:
    expected = json.loads((folder / "expected.json").read_text())
    print(json.dumps({"torch": torch.__version__, "python": platform.python_version(), "machine": platform.machine(),
                      "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}), flush=True)
    rows = []
    for n in threads:
        torch.set_num_threads(n)
        for fn in expected:
            data = (folder / fn).read_bytes()
            px = to_u8(restore.decode(data, precision="fp32").pixels)
            rows.append(_report(folder, expected, fn, f"cpu, {n} threads", tile_latents(data), px))
    if torch.cuda.is_available():
        rows += _check_gpu(folder, expected)
    return rows


def _check_gpu(folder: Path, expected: dict, device: str = "cuda") -> list[dict]:
    cpu_conv = fixedpoint.exact_conv2d

    def gpu_conv(x, w, stride, padding):                   # the integer path's float64 products on the GPU
        return cpu_conv(x.to(device), w.to(device), stride, padding).cpu()

    fixedpoint.exact_conv2d = gpu_conv
    rows = []
    try:
        for fn in expected:
            data = (folder / fn).read_bytes()
            lat = tile_latents(data)
            h, _ = unpack(data)
            px = None
            if h.grid == (1, 1):                               # one tile: synthesise it on the GPU as well
                net = codec_for(data, precision="fp32").net.to(device)
                try:
                    t = net.synthesise(lat[0].to(device), h.quality).cpu()
                finally:
                    net.cpu()
                px = to_u8(t[0, :, :h.height, :h.width])
            rows.append(_report(folder, expected, fn, device + (", synthesis too" if px is not None else ""), lat, px))
    finally:
        fixedpoint.exact_conv2d = cpu_conv
    return rows


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", choices=["write", "check"])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--threads", default="1,16", help="thread counts to decode with (check)")
    args = ap.parse_args(argv)
    if args.mode == "write":
        write(args.folder)
    else:
        rows = check(args.folder, tuple(int(t) for t in args.threads.split(",")))
        sys.exit(0 if all(r["latents_equal"] for r in rows) else 1)


if __name__ == "__main__":
    main()
