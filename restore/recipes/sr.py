"""Training recipe for super-resolution: data, loss, validation, export."""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn as nn

from restore.degrade.resize import BicubicDown, mod_crop
from restore.metrics import psnr_y
from restore.archs.srnet import SRNet
from restore.recipes.data import find_images, load_rgb_u8, split_train_val
from restore.recipes.loop import TrainConfig, Trainer
from restore.recipes.patches import SRPairs
from restore.recipes.config import SRRecipe

__all__ = ["SRRecipe", "sr_pipeline", "build_val_set", "validate_sr", "train_sr"]




def sr_pipeline(scale: int) -> BicubicDown:
    """The LR input of a 0-255 HR image: mod-cropped to ``scale``, MATLAB-bicubic downscaled, rounded (no
    randomness: the classic bicubic-degradation protocol)."""
    return BicubicDown(scale)


def build_val_set(paths: list[Path], crop: int, scales: tuple[int, ...]) -> dict[int, list[tuple]]:
    """Centre crops of held-out images, with their MATLAB-bicubic LR per scale."""
    out: dict[int, list[tuple]] = {s: [] for s in scales}
    for p in paths:
        im = load_rgb_u8(p).float()
        h, w = im.shape[-2:]
        c = min(crop, h, w)
        hr = im[:, (h - c) // 2:(h - c) // 2 + c, (w - c) // 2:(w - c) // 2 + c]
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
    """Train (or continue training) an SRNet; returns the EMA model, the trainer and data facts."""
    paths = find_images(dirs)
    train_paths, val_paths = split_train_val(paths, val_fraction)
    cfg.log(f"{len(train_paths)} training images, {len(val_paths)} held out for validation")
    data = SRPairs([load_rgb_u8(p) for p in train_paths], recipe.scales, degrade=sr_pipeline)
    val = build_val_set(val_paths, recipe.val_crop, recipe.scales)
    model = init if init is not None else SRNet(recipe.body, {"channels": recipe.channels, "blocks": recipe.blocks},
                                                recipe.scales)
    trainer = Trainer(model, cfg, ckpt)
    loss_fn = nn.L1Loss()

    def step(m: nn.Module, i: int) -> torch.Tensor:
        s = recipe.scales[i % len(recipe.scales)]
        lr, hr = data.batch(s, recipe.batch, recipe.lr_patch)
        if cfg.channels_last:
            lr = lr.contiguous(memory_format=torch.channels_last)
        return loss_fn(m(lr, s).float(), hr)

    def val_fn(m: nn.Module) -> dict:
        return validate_sr(m, val)

    trainer.fit(step, val_fn)
    facts = {"train_images": len(train_paths), "val_images": len(val_paths),
             "data": sorted({str(p.parent.name) for p in train_paths})}
    return trainer.ema, trainer, facts
