"""Where the codec's quality stops: its transforms without quantisation, and what a linear transform allows.

    python -m benchmarks.codec_ceiling [--model codec] [--widths 96,128,192,256,320]

On the held-out validation crops of the training data (never bench/), for each quality level: the estimated
bpp and the PSNR with rounded latents (what coding gives), and the PSNR of the same latents *not* quantised,
the ceiling its analysis/synthesis pair reaches at that gain. Beside it, the PSNR of the best linear transform
(PCA of 16×16 RGB blocks, fitted on training crops) that keeps k of the 768 values per block: a latent of k
channels at stride 16 has the same number of values.
"""
from __future__ import annotations

import argparse

import torch
import torch.nn.functional as F

from benchmarks.common import table, write_section


def _psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(10 * torch.log10(1 / (a.clamp(0, 1) - b).pow(2).mean().clamp_min(1e-12)))


@torch.no_grad()
def transform_ceiling(net, crops: list[torch.Tensor]) -> list[list]:
    """Per level: [q, estimated bpp, PSNR rounded, PSNR unquantised] (means over ``crops``)."""
    from restore.recipes.codec import rd_loss

    rows = []
    for q in range(net.first_quality, net.max_quality + 1):
        gain, inv = net.gains(q)
        bpp = rounded = cont = 0.0
        for x in crops:
            out = net(x[None], torch.tensor([float(q)]))
            bpp += float(rd_loss(out, x[None], torch.zeros(1))[1])
            rounded += _psnr(out["x_hat"], x[None])
            cont += _psnr(net.g_s(net.g_a(x[None]) * gain * inv), x[None])
        n = len(crops)
        rows.append([q, f"{bpp / n:.3f}", f"{rounded / n:.2f}", f"{cont / n:.2f}"])
    return rows


def pca_bound(train: list[torch.Tensor], val: list[torch.Tensor], widths: list[int], block: int = 16,
              per_image: int = 200, seed: int = 0) -> list[list]:
    """[k, PSNR] of the validation crops through the top-k PCA basis of ``block``-px RGB blocks."""
    g = torch.Generator().manual_seed(seed)
    samples = []
    for img in train:
        x = img.double() / 255 if img.dtype == torch.uint8 else img.double()
        h, w = x.shape[-2:]
        ys = torch.randint(0, h - block + 1, (per_image,), generator=g)
        xs = torch.randint(0, w - block + 1, (per_image,), generator=g)
        samples += [x[:, i:i + block, j:j + block].reshape(-1) for i, j in zip(ys.tolist(), xs.tolist())]
    blocks = torch.stack(samples)
    mean = blocks.mean(0)
    _, vecs = torch.linalg.eigh((blocks - mean).T @ (blocks - mean) / len(blocks))
    vecs = vecs.flip(1)
    v = torch.cat([F.pixel_unshuffle(x[None].double(), block).flatten(2)[0].T for x in val])
    rows = []
    for k in widths:
        basis = vecs[:, :k]
        rec = ((v - mean) @ basis @ basis.T + mean).clamp(0, 1)
        rows.append([k, f"{10 * torch.log10(1 / (rec - v).pow(2).mean()):.2f}"])
    return rows


def main(argv: list[str] | None = None) -> None:
    from restore.recipes.data import default_train_dirs, load_crop_data
    from restore.weights import Manifest, build_model, weights_dir

    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="codec")
    ap.add_argument("--widths", default="96,128,192,256,320")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    entry, _ = Manifest(weights_dir()).resolve(args.model)
    net = build_model(entry).eval()
    data = load_crop_data(default_train_dirs(), 256, 64, lambda s: None, 0.05)
    ceiling = transform_ceiling(net, data.val)
    bound = pca_bound(data.train, data.val, [int(k) for k in args.widths.split(",")])
    body = "\n".join([
        "## Codec: where the quality stops", "",
        f"Command: `python -m benchmarks.codec_ceiling --model {args.model}`. Model `{entry.id}` "
        f"(latent {entry.kwargs['latent']} channels at stride 16, {entry.training.get('steps', '?')} steps). "
        f"{len(data.val)} held-out 256-px crops of the training data (never bench/).", "",
        table(["quality", "estimated bpp", "PSNR (rounded latents)", "PSNR (latents not quantised)"], ceiling), "",
        "The best *linear* transform with as many values per 16×16 block as a k-channel latent "
        "(PCA fitted on training crops; same validation crops):", "",
        table(["k", "PSNR"], bound)])
    print(body)
    if not args.no_write:
        write_section("codec-ceiling", body)


if __name__ == "__main__":
    main()
