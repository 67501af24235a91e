"""Training recipe for demosaicing: Bayer mosaics of clean crops, some with missing sites, some noisy.

The loss is a pixel-focus L1: each pixel's error is weighted by its size relative to the batch mean (raised to
``focus``, detached), so the rare hard pixels (edges, saturated colours, missing sites) are not drowned out by
the many easy ones.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn as nn

from restore.degrade import mosaic
from restore.metrics import psnr
from restore.tasks.demosaicnet import DemosaicNet
from restore.train.loop import TrainConfig, Trainer, fit_on_crops

__all__ = ["DemosaicRecipe", "focus_l1", "random_valid", "add_mosaic_noise", "validate_demosaic",
           "train_demosaic"]

VAL_BORDER = 8          # CPSNR border crop of the benchmark protocol


@dataclass
class DemosaicRecipe:
    body: str = "res"
    channels: int = 64
    blocks: int = 8
    estimator_channels: int = 16
    batch: int = 16
    patch: int = 64
    focus: float = 0.5              # pixel-focus exponent (0: plain L1)
    mask_fraction: float = 0.3      # share of samples with missing sites
    max_missing: float = 0.08       # their missing fraction is drawn from [0, max_missing]
    noise_fraction: float = 0.3     # share of noisy samples (joint demosaic + denoise)
    max_read: float = 20.0          # read-noise σ drawn from [0, max_read] (8-bit units)
    max_shot: float = 0.004         # shot-noise gain: variance += gain · signal (signal in [0, 1])
    blind_fraction: float = 0.5     # share of noisy samples that use the estimated level
    val_crop: int = 192

    def model_kwargs(self) -> dict:
        return {"body": self.body, "body_kwargs": {"channels": self.channels, "blocks": self.blocks},
                "estimator_channels": self.estimator_channels}


def focus_l1(out: torch.Tensor, target: torch.Tensor, focus: float) -> torch.Tensor:
    """Pixel-focus L1: per-pixel error weighted by (error / mean error) ** ``focus``, the weight detached."""
    err = (out.float() - target).abs().mean(-3, keepdim=True)
    if focus <= 0:
        return err.mean()
    w = (err.detach() / err.detach().mean().clamp_min(1e-8)).pow(focus)
    return (w * err).mean()


def random_valid(shape: tuple, missing: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """N×1×H×W validity masks (1 = measured) with a per-image missing fraction ``missing`` (N values)."""
    return (torch.rand(shape, generator=gen) >= missing.view(-1, 1, 1, 1)).float()


def add_mosaic_noise(mos: torch.Tensor, read: torch.Tensor, shot: torch.Tensor,
                     gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """(noisy mosaic clipped to [0, 1], true per-site σ map in 8-bit units): Poisson-Gaussian noise with read σ
    ``read`` (8-bit units) and shot gain ``shot``, one value per image."""
    var = shot.view(-1, 1, 1, 1) * mos + (read.view(-1, 1, 1, 1) / 255) ** 2
    sd = var.sqrt()
    return (mos + sd * torch.randn(mos.shape, generator=gen)).clamp(0, 1), sd * 255


@torch.no_grad()
def validate_demosaic(model: DemosaicNet, crops: list[torch.Tensor]) -> dict[str, float]:
    """CPSNR (8-px border) on held-out crops: clean, 1 % and 5 % missing sites, and noisy (read σ 10, blind)."""
    res: dict[str, list[float]] = {"val_clean": [], "val_miss1": [], "val_miss5": [], "val_noisy10": []}
    gen = torch.Generator().manual_seed(0)
    for x in crops:
        ref = x * 255
        mos = mosaic(x[None])
        runs = {"val_clean": (mos, None, 0.0)}
        for key, p in (("val_miss1", 0.01), ("val_miss5", 0.05)):
            runs[key] = (mos, random_valid(mos.shape, torch.tensor([p]), gen), 0.0)
        noisy, _ = add_mosaic_noise(mos, torch.tensor([10.0]), torch.tensor([0.0]), gen)
        runs["val_noisy10"] = (noisy, None, None)
        for key, (m, valid, sigma) in runs.items():
            out = model(m, valid, sigma)[0][0].clamp(0, 1) * 255
            res[key].append(psnr(out, ref, border=VAL_BORDER))
    return {k: sum(v) / len(v) for k, v in res.items()}


def train_demosaic(recipe: DemosaicRecipe, cfg: TrainConfig, dirs: list[Path], ckpt: Path | None = None,
                   init: DemosaicNet | None = None, val_fraction: float = 0.05) -> tuple[DemosaicNet, Trainer, dict]:
    """Train (or continue) the demosaicer; returns the EMA model, the trainer and data facts."""
    def step(m: nn.Module, crops, gen: torch.Generator) -> torch.Tensor:
        n = recipe.batch
        clean = crops.batch(n, recipe.patch)
        mos = mosaic(clean)
        masked = torch.rand(n, generator=gen) < recipe.mask_fraction
        valid = random_valid(mos.shape, masked * torch.rand(n, generator=gen) * recipe.max_missing, gen)
        noisy = torch.rand(n, generator=gen) < recipe.noise_fraction
        read = noisy * torch.rand(n, generator=gen) * recipe.max_read
        shot = noisy * torch.rand(n, generator=gen) * recipe.max_shot
        mos, level = add_mosaic_noise(mos, read, shot, gen)
        est = m.estimator(mos * valid)
        blind = (torch.rand(n, generator=gen) < recipe.blind_fraction).view(-1, 1, 1, 1)
        out, _ = m(mos, valid, torch.where(blind, est * 255, level))
        return focus_l1(out, clean, recipe.focus) + (est.float() * 255 - level).abs().mean() / 255

    return fit_on_crops(recipe, cfg, dirs, ckpt, init, DemosaicNet, step, validate_demosaic,
                        val_fraction=val_fraction)
