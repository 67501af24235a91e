"""Training recipe for super-resolution: data, loss, validation, export."""
from __future__ import annotations

import math
from pathlib import Path

import torch
import torch.nn as nn

from restore.degrade.resize import BicubicDown, mod_crop
from restore.metrics import psnr_y
from restore.archs.srnet import SRNet
from restore.recipes.loop import TrainConfig, Trainer, fit_on_crops
from restore.recipes.patches import SRPairs
from restore.recipes.config import SRRecipe

__all__ = ["SRRecipe", "sr_pipeline", "val_pairs", "validate_sr", "train_sr"]




def sr_pipeline(scale: int) -> BicubicDown:
    """The LR input of a 0-255 HR image: mod-cropped to ``scale``, MATLAB-bicubic downscaled, rounded (no
    randomness: the classic bicubic-degradation protocol)."""
    return BicubicDown(scale)


def val_pairs(crops: list[torch.Tensor], scales: tuple[int, ...]) -> dict[int, list[tuple]]:
    """(LR in [0, 1], HR 0-255) per scale for validation crops in [0, 1] (sides a multiple of every scale)."""
    out: dict[int, list[tuple]] = {s: [] for s in scales}
    for c in crops:
        hr = c.mul(255).round()
        for s in scales:
            out[s].append((sr_pipeline(s)(hr) / 255, mod_crop(hr, s)))
    return out


@torch.no_grad()
def validate_sr(model: nn.Module, val: dict[int, list[tuple]]) -> dict[str, float]:
    """Mean PSNR-Y (rounded output, scale-sized border) per scale on the validation crops."""
    res = {}
    for s, pairs in val.items():
        vals = []
        for lr, hr in pairs:
            sr = model(lr[None], s)[0].clamp(0, 1).mul(255).round()
            vals.append(psnr_y(sr, hr, border=s))
        res[f"val_x{s}"] = sum(vals) / len(vals)
    return res


def train_sr(recipe: SRRecipe, cfg: TrainConfig, dirs: list[Path], ckpt: Path | None = None,
             init: nn.Module | None = None, val_fraction: float = 0.05) -> tuple[SRNet, Trainer, dict]:
    """Train (or continue training) an SRNet on the shared crop driver; returns the EMA model, the trainer and
    data facts. Its sampler holds each training image's LR per scale, downscaled once from the whole image (the
    bicubic protocol), and cuts aligned patches from both."""
    scales = tuple(recipe.scales)
    val: dict = {}
    loss_fn = nn.L1Loss()

    def step(m: nn.Module, pairs: SRPairs, gen: torch.Generator) -> torch.Tensor:
        s = scales[int(torch.randint(len(scales), (1,), generator=gen))]
        lr, hr = pairs.batch(s, recipe.batch, recipe.lr_patch)
        if cfg.channels_last:
            lr = lr.contiguous(memory_format=torch.channels_last)
        return loss_fn(m(lr, s).float(), hr)

    def validate(m: nn.Module, crops: list) -> dict:
        if not val:
            val.update(val_pairs(crops, scales))
        return validate_sr(m, val)

    return fit_on_crops(recipe, cfg, dirs, ckpt, init, SRNet, step, validate, multiple=math.lcm(*scales),
                        val_fraction=val_fraction, sampler=lambda images: SRPairs(images, scales, degrade=sr_pipeline))
