"""Training recipe for JPEG-artefact removal: every crop saved as a real JPEG (Pillow's encoder) at a random
quality and chroma subsampling, some gray, some saved twice with a moved grid; the network is told the quality
or the image-mean of its own estimate (what inference does for files that no longer carry their tables)."""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

from restore.archs.denoisenet import DenoiseNet
from restore.archs.dejpegnet import DejpegNet, quality_level
from restore.degrade.color import Gray
from restore.degrade.compose import OneOf, maybe
from restore.degrade.jpeg import DoubleJpeg, Jpeg, apply_jpeg, JpegParams, effective_quality
from restore.metrics import psnr
from restore.recipes.config import DejpegRecipe
from restore.recipes.loop import TrainConfig, Trainer, fit_on_crops

__all__ = ["DejpegRecipe", "jpeg_pipeline", "add_jpeg", "validate_dejpeg", "warm_start", "train_dejpeg"]


def jpeg_pipeline(recipe: DejpegRecipe) -> OneOf:
    """One save at a quality in [min, max] or, ``double_fraction`` of the time, two (the grid moved half the
    time); chroma subsampling drawn with the recipe's weights."""
    lo, hi, chroma = recipe.min_quality, recipe.max_quality, tuple(recipe.chroma)
    return OneOf((Jpeg(lo, hi, chroma), DoubleJpeg(lo, hi, chroma, 0.5)),
                 (1 - recipe.double_fraction, recipe.double_fraction))


def add_jpeg(clean: torch.Tensor, recipe: DejpegRecipe, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """(compressed batch, effective quality per crop) for a clean N×3×H×W batch in [0, 1]; gray crops are made
    gray in ``clean`` too, so the target matches."""
    gray, jpeg = maybe(Gray(), recipe.gray_fraction), jpeg_pipeline(recipe)
    out = torch.empty_like(clean)
    quality = torch.empty(clean.shape[0])
    for i in range(clean.shape[0]):
        x = gray(clean[i], gen)
        y, params = jpeg.run(x, gen)
        clean[i] = x.expand_as(clean[i])
        out[i] = y.expand_as(clean[i])
        quality[i] = effective_quality(params.params)
    return out, quality


@torch.no_grad()
def validate_dejpeg(model: DejpegNet, crops: list[torch.Tensor], qualities: tuple[int, ...]) -> dict[str, float]:
    """Mean PSNR gain (RGB, dB) over the JPEG itself on held-out crops saved at 4:2:0: told the quality, and blind
    (told the image-mean estimate) at the middle quality."""
    res: dict[str, float] = {}
    blind_q = qualities[len(qualities) // 2]
    for q in qualities:
        given, blind = [], []
        for x in crops:
            y = apply_jpeg(x, JpegParams(q))[None]
            base = psnr(y[0] * 255, x * 255)
            given.append(psnr(model(y, float(q))[0][0].clamp(0, 1) * 255, x * 255) - base)
            if q == blind_q:
                level = model.estimator(y).mean()
                blind.append(psnr(model(y, level=level)[0][0].clamp(0, 1) * 255, x * 255) - base)
        res[f"val_gain_q{q}"] = sum(given) / len(given)
        if blind:
            res[f"val_blind_gain_q{q}"] = sum(blind) / len(blind)
    return res


def warm_start(net: DejpegNet, denoiser: DenoiseNet) -> DejpegNet:
    """``net`` with every weight of a trained denoiser of the same shape (the level input changes meaning; the
    rest, natural-image structure, carries over)."""
    net.load_state_dict(denoiser.state_dict())
    return net


def train_dejpeg(recipe: DejpegRecipe, cfg: TrainConfig, dirs: list[Path], ckpt: Path | None = None,
                 init: DejpegNet | None = None, val_fraction: float = 0.05) -> tuple[DejpegNet, Trainer, dict]:
    """Train (or continue) the artefact remover; returns the EMA model, the trainer and data facts."""
    if recipe.patch % 16:
        raise ValueError(f"patch must be a multiple of 16, not {recipe.patch}")

    def step(m: nn.Module, crops, gen: torch.Generator) -> torch.Tensor:
        clean = crops.batch(recipe.batch, recipe.patch)
        jpeg, quality = add_jpeg(clean, recipe, gen)
        est = m.estimator(jpeg)
        truth = quality_level(quality).view(-1, 1, 1, 1)
        blind = (torch.rand(recipe.batch, generator=gen) < recipe.blind_fraction).view(-1, 1, 1, 1)
        told = torch.where(blind, est.detach().float().mean((1, 2, 3), keepdim=True), truth)
        out, _ = m(jpeg, level=told.expand(-1, 1, *jpeg.shape[-2:]))
        return F.l1_loss(out.float(), clean) + 0.1 * F.l1_loss(est.float(), truth.expand_as(est))

    return fit_on_crops(recipe, cfg, dirs, ckpt, init, DejpegNet, step,
                        lambda m, val: validate_dejpeg(m, val, recipe.val_qualities), multiple=16,
                        val_fraction=val_fraction)
