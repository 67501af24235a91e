"""Training recipe for super-resolution: data, loss, validation, export."""
from __future__ import annotations

import math
from pathlib import Path

import torch
import torch.nn as nn

from restore.degrade.compose import seeded
from restore.degrade.jpeg import JpegParams, apply_jpeg
from restore.degrade.realsr import RealDown
from restore.degrade.resize import BicubicDown, mod_crop
from restore.metrics import psnr_y
from restore.archs.srnet import SRNet
from restore.recipes.loop import TrainConfig, Trainer, fit_on_crops
from restore.recipes.patches import DegradedPairs, SRPairs
from restore.recipes.config import SRRecipe

__all__ = ["SRRecipe", "sr_pipeline", "real_pipeline", "val_pairs", "validate_sr", "train_sr"]


def sr_pipeline(scale: int) -> BicubicDown:
    """The LR input of a 0-255 HR image: mod-cropped to ``scale``, MATLAB-bicubic downscaled, rounded (no
    randomness: the classic bicubic-degradation protocol)."""
    return BicubicDown(scale)


def real_pipeline(recipe: SRRecipe):
    """``scale`` → the op that makes a training LR from an HR crop in [0, 1] (--degradation real)."""
    return lambda scale: RealDown(scale, clean=recipe.clean_fraction, second_order=recipe.second_order)


def val_pairs(crops: list[torch.Tensor], scales: tuple[int, ...], real: bool = False) -> dict[str, list[tuple]]:
    """(LR in [0, 1], HR 0-255) per validation set name for crops in [0, 1] (sides a multiple of every scale):
    ``x{s}`` the bicubic protocol; with ``real`` also ``jpeg60_x{s}`` (bicubic, then saved as JPEG q60) and
    ``real_x{s}`` (the training chain, seeded per crop)."""
    out: dict[str, list[tuple]] = {}
    for i, c in enumerate(crops):
        hr = c.mul(255).round()
        for s in scales:
            lr = sr_pipeline(s)(hr) / 255
            out.setdefault(f"x{s}", []).append((lr, mod_crop(hr, s)))
            if real:
                out.setdefault(f"jpeg60_x{s}", []).append((apply_jpeg(lr, JpegParams(60)), mod_crop(hr, s)))
                degraded = RealDown(s, clean=0.0)(mod_crop(hr, s) / 255, seeded("val", i, s))
                out.setdefault(f"real_x{s}", []).append((degraded, mod_crop(hr, s)))
    return out


@torch.no_grad()
def validate_sr(model: nn.Module, val: dict[str, list[tuple]]) -> dict[str, float]:
    """Mean PSNR-Y (rounded output, scale-sized border) per validation set."""
    res = {}
    for name, pairs in val.items():
        s = int(name.rsplit("x", 1)[1])
        vals = []
        for lr, hr in pairs:
            sr = model(lr[None], s)[0].clamp(0, 1).mul(255).round()
            vals.append(psnr_y(sr, hr, border=s))
        res[f"val_{name}"] = sum(vals) / len(vals)
    return res


def train_sr(recipe: SRRecipe, cfg: TrainConfig, dirs: list[Path], ckpt: Path | None = None,
             init: nn.Module | None = None, val_fraction: float = 0.05) -> tuple[SRNet, Trainer, dict]:
    """Train (or continue training) an SRNet on the shared crop driver; returns the EMA model, the trainer and
    data facts. With the bicubic protocol its sampler holds each training image's LR per scale, downscaled once
    from the whole image, and cuts aligned patches from both; with ``degradation="real"`` every HR crop gets its
    own random degradation (:class:`restore.degrade.realsr.RealDown`)."""
    scales = tuple(recipe.scales)
    val: dict = {}
    loss_fn = nn.L1Loss()

    def step(m: nn.Module, pairs: SRPairs, gen: torch.Generator) -> torch.Tensor:
        s = scales[int(torch.randint(len(scales), (1,), generator=gen))]
        lr, hr = pairs.batch(s, recipe.batch, recipe.lr_patch)
        if cfg.channels_last:
            lr = lr.contiguous(memory_format=torch.channels_last)
        return loss_fn(m(lr, s).float(), hr)

    real = recipe.degradation == "real"

    def validate(m: nn.Module, crops: list) -> dict:
        if not val:
            val.update(val_pairs(crops, scales, real))
        return validate_sr(m, val)

    def sampler(images: list):
        return DegradedPairs(images, scales, real_pipeline(recipe)) if real else \
            SRPairs(images, scales, degrade=sr_pipeline)

    return fit_on_crops(recipe, cfg, dirs, ckpt, init, SRNet, step, validate, multiple=math.lcm(*scales),
                        val_fraction=val_fraction, sampler=sampler)
