"""Training recipe for denoising: synthetic Gaussian and camera noise, given and blind noise levels."""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

from restore.degrade.color import Gray
from restore.degrade.compose import Clip, OneOf, Op, Sequence, maybe
from restore.degrade.isp import CameraPipeline
from restore.degrade.jpeg import Jpeg
from restore.degrade.noise import CameraNoise, GaussianNoise
from restore.metrics import psnr
from restore.archs.denoisenet import DenoiseNet
from restore.recipes.loop import TrainConfig, Trainer, fit_on_crops
from restore.recipes.config import DenoiseRecipe

__all__ = ["DenoiseRecipe", "camera_pipeline", "noise_pipeline", "gray_pipeline", "training_target",
           "add_training_noise", "validate_denoise", "train_denoise"]


def local_level(noisy: torch.Tensor, clean: torch.Tensor, radius: int = 3) -> torch.Tensor:
    """Per-pixel noise level (σ in 8-bit units) of a synthetic pair: RMS of the noise in a small window."""
    err = (noisy - clean).pow(2).mean(-3, keepdim=True)
    return F.avg_pool2d(err, 2 * radius + 1, 1, radius, count_include_pad=False).sqrt() * 255


def camera_pipeline(recipe: DenoiseRecipe) -> Op:
    """The camera branch: the full unprocess → Bayer → noise → ISP → JPEG pipeline of
    :mod:`restore.degrade.isp` (``camera="isp"``), or the simple per-pixel model then JPEG quality 75-95."""
    if recipe.camera == "isp":
        return CameraPipeline(jpeg_prob=recipe.jpeg_fraction)
    return Sequence(CameraNoise(), maybe(Jpeg(75, 95), recipe.jpeg_fraction))


def noise_pipeline(recipe: DenoiseRecipe) -> OneOf:
    """What a clean crop goes through. Branch 0: Gaussian noise, σ uniform in [0, ``max_sigma``] (8-bit units),
    clipped to [0, 1] ``clip_fraction`` of the time (files are; the papers' inputs are not). Branch 1,
    ``camera_fraction`` of the time: :func:`camera_pipeline`."""
    gaussian = Sequence(GaussianNoise((0.0, recipe.max_sigma / 255)), maybe(Clip(), recipe.clip_fraction))
    return OneOf((gaussian, camera_pipeline(recipe)), (1 - recipe.camera_fraction, recipe.camera_fraction))


def gray_pipeline(recipe: DenoiseRecipe) -> OneOf:
    """``gray_fraction`` of the crops become gray photos (one plane, so one noise for all three channels)."""
    return maybe(Gray(), recipe.gray_fraction)


def training_target(pipeline: Op, x: torch.Tensor, params) -> torch.Tensor:
    """The clean image a sample is restored to: the crop itself, but for a sample of the ISP camera the camera's
    own noiseless rendering (:meth:`CameraPipeline.reference`), as in real pairs."""
    return next((op.reference(x, p) for op, p in pipeline.ran(params) if isinstance(op, CameraPipeline)), x)


def add_training_noise(clean: torch.Tensor, recipe: DenoiseRecipe,
                       gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """(noisy batch, true noise-level map N×1×H×W in 8-bit units) for a clean N×3×H×W batch in [0, 1].

    Each crop runs :func:`gray_pipeline` then :func:`noise_pipeline`. The level map of a Gaussian sample is its
    σ; of a camera sample, the local RMS of what was added. ``clean`` is replaced in place by each sample's
    :func:`training_target` (gray for gray samples, the camera's rendering for ISP samples).
    """
    gray, noise = gray_pipeline(recipe), noise_pipeline(recipe)
    noisy = torch.empty_like(clean)
    level = torch.empty(clean.shape[0], 1, *clean.shape[-2:])
    for i in range(clean.shape[0]):
        x = gray(clean[i], gen)
        y, params = noise.run(x, gen)
        clean[i] = training_target(noise, x, params).expand_as(clean[i])
        noisy[i] = y.expand_as(clean[i])
        g = noise.find(params, GaussianNoise)
        level[i] = g.sigma * 255 if g is not None else local_level(noisy[i:i + 1], clean[i:i + 1])[0]
    return noisy, level


@torch.no_grad()
def validate_denoise(model: DenoiseNet, crops: list[torch.Tensor], recipe: DenoiseRecipe) -> dict[str, float]:
    """PSNR (RGB, 0-255) on held-out crops: seeded Gaussian noise at each of ``val_sigmas``, given and blind at
    the middle σ; and blind on seeded camera noise (``val_camera``) from the recipe's camera branch."""
    res: dict[str, float] = {}
    sigmas = recipe.val_sigmas
    blind_sigma = sigmas[len(sigmas) // 2]
    for s in sigmas:
        gen = torch.Generator().manual_seed(s)
        add_noise = Sequence(GaussianNoise(s / 255), Clip())
        given, blind = [], []
        for x in crops:
            noisy = add_noise(x, gen)[None]
            given.append(psnr(model(noisy, float(s))[0][0].clamp(0, 1) * 255, x * 255))
            if s == blind_sigma:
                blind.append(psnr(model(noisy)[0][0].clamp(0, 1) * 255, x * 255))
        res[f"val_s{s}"] = sum(given) / len(given)
        if blind:
            res[f"val_blind_s{s}"] = sum(blind) / len(blind)
    gen = torch.Generator().manual_seed(0)
    camera = camera_pipeline(recipe)
    scores = []
    for x in crops:
        y, params = camera.run(x, gen)
        scores.append(psnr(model(y[None])[0][0].clamp(0, 1) * 255, training_target(camera, x, params) * 255))
    res["val_camera"] = sum(scores) / len(scores)
    return res


def train_denoise(recipe: DenoiseRecipe, cfg: TrainConfig, dirs: list[Path], ckpt: Path | None = None,
                  init: DenoiseNet | None = None, val_fraction: float = 0.05) -> tuple[DenoiseNet, Trainer, dict]:
    """Train (or continue) the denoiser; returns the EMA model, the trainer and data facts."""
    def step(m: nn.Module, crops, gen: torch.Generator) -> torch.Tensor:
        clean = crops.batch(recipe.batch, recipe.patch)
        noisy, level = add_training_noise(clean, recipe, gen)
        est = m.estimator(noisy)
        blind = (torch.rand(recipe.batch, generator=gen) < recipe.blind_fraction).view(-1, 1, 1, 1)
        out, _ = m(noisy, torch.where(blind, est * 255, level))
        return F.l1_loss(out.float(), clean) + F.l1_loss(est.float() * 255, level) / 255

    return fit_on_crops(recipe, cfg, dirs, ckpt, init, DenoiseNet, step,
                        lambda m, val: validate_denoise(m, val, recipe), val_fraction=val_fraction)
