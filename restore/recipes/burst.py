"""Training recipe for burst fusion: synthetic handheld bursts of clean crops, aligned as inference would.

Each burst (:func:`burst_pipeline`, a :class:`restore.degrade.burst.HandheldBurst`) shakes a crop into N frames,
adds noise and, half of the time, a moving object. Inference aligns frames with ECC; training undoes the known
motion plus a small random error of the size ECC leaves, which is much faster and teaches the fusion to live with
imperfect alignment.
"""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

from restore.degrade.burst import Burst, FrameMotion, HandheldBurst, apply_burst, unwarp
from restore.degrade.compose import uniform
from restore.metrics import psnr
from restore.archs.burstnet import BurstNet
from restore.recipes.loop import TrainConfig, Trainer, fit_on_crops
from restore.recipes.config import BurstRecipe

__all__ = ["BurstRecipe", "burst_pipeline", "aligned_frames", "make_bursts", "validate_burst", "train_burst"]




def burst_pipeline(recipe: BurstRecipe, sigma: float | None = None, moving: bool | None = None) -> HandheldBurst:
    """A handheld burst of ``frames`` frames (downscaled by ``scale``): Gaussian noise σ uniform in
    [0, ``max_sigma``] (8-bit units) unless ``sigma`` is given, a moving object ``moving_fraction`` of the time
    unless ``moving`` says."""
    return HandheldBurst(frames=recipe.frames, scale=recipe.scale,
                         sigma=(0.0, recipe.max_sigma) if sigma is None else float(sigma),
                         moving=recipe.moving_fraction if moving is None else float(moving))


def aligned_frames(burst: Burst, scale: int, jitter: float, gen: torch.Generator) -> torch.Tensor:
    """The burst's frames brought back onto the reference by their (slightly wrong) motion: N×C×h×w, the error
    uniform in ±``jitter`` input pixels per axis."""
    out = [burst.frames[0]]
    for f, m in zip(burst.frames[1:], burst.motions[1:]):
        out.append(unwarp(f, FrameMotion(m.dx / scale + uniform(gen, -jitter, jitter),
                                         m.dy / scale + uniform(gen, -jitter, jitter), m.angle)))
    return torch.stack(out)


def make_bursts(recipe: BurstRecipe, clean: torch.Tensor, gen: torch.Generator,
                sigma: float | None = None, moving: bool | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(aligned noisy frames B×N×3×p×p, clean targets B×3×(sp)×(sp)) from a clean B×3×(sp)×(sp) batch."""
    pipeline = burst_pipeline(recipe, sigma, moving)
    frames, targets = [], []
    for x in clean:
        b = apply_burst(x, pipeline.sample(gen, x))
        frames.append(aligned_frames(b, recipe.scale, recipe.jitter, gen))
        targets.append(b.target)
    return torch.stack(frames), torch.stack(targets)


@torch.no_grad()
def validate_burst(model: BurstNet, crops: list[torch.Tensor], recipe: BurstRecipe) -> dict[str, float]:
    """PSNR at σ 25 with a moving object on held-out crops: the fused burst, and the reference frame alone
    (upscaled bilinearly for SR)."""
    gen = torch.Generator().manual_seed(25)
    fused, single = [], []
    for x in crops:
        frames, target = make_bursts(recipe, x[None], gen, sigma=25.0, moving=True)
        out = model(frames)[0].clamp(0, 1)
        ref = frames[0, 0][None]
        if recipe.scale > 1:
            ref = F.interpolate(ref, scale_factor=recipe.scale, mode="bilinear", align_corners=False)
        fused.append(psnr(out * 255, target[0] * 255))
        single.append(psnr(ref[0].clamp(0, 1) * 255, target[0] * 255))
    return {"val_burst_s25": sum(fused) / len(fused), "val_reference_s25": sum(single) / len(single)}


def train_burst(recipe: BurstRecipe, cfg: TrainConfig, dirs: list[Path], ckpt: Path | None = None,
                init: BurstNet | None = None, val_fraction: float = 0.05) -> tuple[BurstNet, Trainer, dict]:
    """Train (or continue) the burst-fusion model; returns the EMA model, the trainer and data facts."""
    def step(m: nn.Module, crops, gen: torch.Generator) -> torch.Tensor:
        frames, target = make_bursts(recipe, crops.batch(recipe.batch, recipe.patch * recipe.scale), gen)
        return F.l1_loss(m(frames).float(), target)

    return fit_on_crops(recipe, cfg, dirs, ckpt, init, BurstNet, step,
                        lambda m, val: validate_burst(m, val, recipe), multiple=2 * recipe.scale,
                        val_fraction=val_fraction)
