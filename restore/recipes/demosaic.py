"""Training recipe for demosaicing: Bayer mosaics of clean crops, some with missing sites, some noisy.

The loss is a pixel-focus L1: each pixel's error is weighted by its size relative to the batch mean (raised to
``focus``, detached), so the rare hard pixels (edges, saturated colours, missing sites) are not drowned out by
the many easy ones.
"""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn as nn

from restore.degrade.bayer import MissingSites, Mosaic, mosaic, sample_missing_sites
from restore.degrade.compose import Sequence, maybe
from restore.degrade.noise import PoissonGaussian, apply_poisson_gaussian, noise_sd, sample_poisson_gaussian
from restore.metrics import psnr
from restore.archs.demosaicnet import DemosaicNet
from restore.recipes.loop import TrainConfig, Trainer, fit_on_crops
from restore.recipes.config import DemosaicRecipe

__all__ = ["DemosaicRecipe", "focus_l1", "mosaic_pipeline", "training_mosaics", "random_valid", "add_mosaic_noise",
           "validate_demosaic", "train_demosaic"]

VAL_BORDER = 8          # CPSNR border crop of the benchmark protocol




def focus_l1(out: torch.Tensor, target: torch.Tensor, focus: float) -> torch.Tensor:
    """Pixel-focus L1: per-pixel error weighted by (error / mean error) ** ``focus``, the weight detached."""
    err = (out.float() - target).abs().mean(-3, keepdim=True)
    if focus <= 0:
        return err.mean()
    w = (err.detach() / err.detach().mean().clamp_min(1e-8)).pow(focus)
    return (w * err).mean()


def mosaic_pipeline(recipe: DemosaicRecipe) -> Sequence:
    """What a clean crop goes through: the RGGB mosaic; Poisson-Gaussian noise ``noise_fraction`` of the time
    (read σ uniform in [0, ``max_read``] 8-bit units, shot gain uniform in [0, ``max_shot``]); missing sites
    ``mask_fraction`` of the time (their share uniform in [0, ``max_missing``])."""
    return Sequence(Mosaic("RGGB"),
                    maybe(PoissonGaussian(shot=(0.0, recipe.max_shot), read=(0.0, recipe.max_read / 255)),
                          recipe.noise_fraction),
                    maybe(MissingSites((0.0, recipe.max_missing)), recipe.mask_fraction))


def training_mosaics(recipe: DemosaicRecipe, clean: torch.Tensor,
                     gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(mosaics, validity masks, true per-site σ maps in 8-bit units), each N×1×H×W, for a clean N×3×H×W batch:
    every crop through :func:`mosaic_pipeline`."""
    pipeline = mosaic_pipeline(recipe)
    mos, params = pipeline.run_each(clean, gen)
    clean_mos = mosaic(clean)
    valid, level = torch.ones_like(mos), torch.zeros_like(mos)
    for i, p in enumerate(params):
        missing, noise = pipeline.find(p, MissingSites), pipeline.find(p, PoissonGaussian)
        if missing is not None:
            valid[i] = missing.valid
        if noise is not None:
            level[i] = noise_sd(clean_mos[i], noise) * 255
    return mos, valid, level


def random_valid(shape: tuple, missing: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """N×1×H×W validity masks (1 = measured) with a per-image missing fraction ``missing`` (N values)."""
    return sample_missing_sites(gen, shape, missing.view(-1, 1, 1, 1)).valid.float()


def add_mosaic_noise(mos: torch.Tensor, read: torch.Tensor, shot: torch.Tensor,
                     gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """(noisy mosaic clipped to [0, 1], true per-site σ map in 8-bit units): Poisson-Gaussian noise with read σ
    ``read`` (8-bit units) and shot gain ``shot``, one value per image."""
    p = sample_poisson_gaussian(gen, mos.shape, shot.view(-1, 1, 1, 1), read.view(-1, 1, 1, 1) / 255, mos.dtype)
    return apply_poisson_gaussian(mos, p), noise_sd(mos, p) * 255


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
        mos, valid, level = training_mosaics(recipe, clean, gen)
        est = m.estimator(mos * valid)
        blind = (torch.rand(n, generator=gen) < recipe.blind_fraction).view(-1, 1, 1, 1)
        out, _ = m(mos, valid, torch.where(blind, est * 255, level))
        return focus_l1(out, clean, recipe.focus) + (est.float() * 255 - level).abs().mean() / 255

    return fit_on_crops(recipe, cfg, dirs, ckpt, init, DemosaicNet, step, validate_demosaic,
                        val_fraction=val_fraction)
