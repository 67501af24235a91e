"""Training recipe for arbitrary-scale SR: HR crops, a random (possibly asymmetric) scale per batch, L1 loss."""
from __future__ import annotations

import math
from pathlib import Path

import torch
import torch.nn as nn

from restore.metrics import psnr_y
from restore.degrade.resize import RandomScale, downscale_to
from restore.archs.sranynet import MAX_SCALE, SRAnyNet
from restore.recipes.loop import TrainConfig, fit_on_crops
from restore.recipes.config import SRAnyRecipe

__all__ = ["SRAnyRecipe", "scale_pipeline", "validate_sr_any", "train_sr_any", "warm_start"]




def scale_pipeline(recipe: SRAnyRecipe) -> RandomScale:
    """One (vertical, horizontal) scale pair per batch, each uniform in [1, MAX_SCALE], different ``asymmetric``
    of the time; the HR crops are MATLAB-bicubic downscaled by it and rounded to 8 bits (the benchmarks' LR)."""
    return RandomScale(1.0, MAX_SCALE, recipe.asymmetric)


def _val_pairs(crops: list[torch.Tensor], scales) -> list[tuple]:
    out = []
    for sy, sx in scales:
        for hr in crops:                 # float crops in [0, 1]
            h, w = hr.shape[-2:]
            lh, lw = math.ceil(h / sy), math.ceil(w / sx)
            lr = downscale_to(hr, lh, lw)
            out.append(((sy, sx), lr, hr))
    return out


@torch.no_grad()
def validate_sr_any(model: nn.Module, pairs: list[tuple]) -> dict[str, float]:
    """Mean PSNR-Y per scale pair (rounded output, a border of ceil(max scale) pixels cropped)."""
    acc: dict[str, list[float]] = {}
    for (sy, sx), lr, hr in pairs:
        sr = model(lr[None], tuple(hr.shape[-2:]))[0].clamp(0, 1).mul(255).round()
        key = f"val_x{sy:g}" if sy == sx else f"val_x{sy:g}x{sx:g}"
        acc.setdefault(key, []).append(psnr_y(sr, hr * 255, border=math.ceil(max(sy, sx))))
    return {k: sum(v) / len(v) for k, v in acc.items()}


def warm_start(net: SRAnyNet, sr_net: nn.Module) -> SRAnyNet:
    """Copy the stem and body of a trained fixed-scale SR network (same body) into ``net``."""
    own = net.state_dict()
    taken = {k: v for k, v in sr_net.state_dict().items()
             if k.split(".")[0] in ("stem", "body") and k in own and own[k].shape == v.shape}
    if not taken:
        raise ValueError("the SR model's body does not match this architecture")
    net.load_state_dict(taken, strict=False)
    return net


def train_sr_any(recipe: SRAnyRecipe, cfg: TrainConfig, dirs: list[Path], ckpt: Path | None = None,
                 init: nn.Module | None = None) -> tuple[SRAnyNet, object, dict]:
    """Train (or continue) an :class:`SRAnyNet`; returns the EMA model, the trainer and data facts."""
    loss_fn = nn.L1Loss()
    val_pairs: list = []
    downscale = scale_pipeline(recipe)

    def step(m: nn.Module, crops, gen) -> torch.Tensor:
        hr = crops.batch(recipe.batch, recipe.patch)
        p = hr.shape[-1]
        lr = downscale(hr, gen)
        if cfg.channels_last:
            lr = lr.contiguous(memory_format=torch.channels_last)
        return loss_fn(m(lr, (p, p)).float(), hr)

    def validate(m: nn.Module, crops) -> dict:
        if not val_pairs:
            val_pairs.extend(_val_pairs(crops, recipe.val_scales))
        return validate_sr_any(m, val_pairs)

    return fit_on_crops(recipe, cfg, dirs, ckpt, init, SRAnyNet, step, validate)
