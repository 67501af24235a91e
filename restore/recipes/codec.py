"""Training recipe for the variable-rate codec: random crops, per-sample quality levels, RD loss."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn as nn

from restore.codecs.entropy import SymbolCounter
from restore.codecs.model import LAMBDAS, CodecNet, rd_terms
from restore.recipes.data import centre_crop, find_images, load_crop_data, load_rgb_u8, split_train_val
from restore.recipes.loop import TrainConfig, Trainer
from restore.recipes.patches import RandomCrops

__all__ = ["CodecRecipe", "LevelBalance", "level_sampler", "rd_loss", "rd_terms", "validate_codec", "train_codec",
           "count_symbols", "table_crops", "fit_tables"]


@dataclass
class CodecRecipe:
    transform: str = "gdn"
    channels: int = 96
    latent: int = 128
    slices: tuple[int, ...] = (16, 16, 32, 64)
    hyper_channels: int = 96
    z_channels: int = 64
    res_blocks: int = 0
    fine_blocks: int = 0
    lambdas: tuple[float, ...] = LAMBDAS
    first_quality: int = 1             # the quality number of the first level (below 1 after grow_levels)
    batch: int = 8
    patch: int = 128
    balance_levels: bool = False       # LevelBalance: every quality level moves the shared weights equally
    level_weights: tuple[float, ...] = ()   # how often each level is drawn (relative; empty: all equally)
    val_crop: int = 256
    val_levels: tuple[int, ...] = field(default=(1, 4, 8))

    def model_kwargs(self) -> dict:
        return {"transform": self.transform, "channels": self.channels, "latent": self.latent,
                "slices": tuple(self.slices), "hyper_channels": self.hyper_channels, "z_channels": self.z_channels,
                "lambdas": tuple(self.lambdas), "res_blocks": self.res_blocks,
                "fine_blocks": self.fine_blocks, "first_quality": self.first_quality}


def rd_loss(out: dict, x: torch.Tensor, lambdas: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(mean of λ·255²·MSE + bpp, per-sample bpp, per-sample MSE) with per-sample λ."""
    loss, bpp, mse = rd_terms(out, x, lambdas)
    return loss.mean(), bpp, mse


class LevelBalance:
    """Weights each sample's RD loss by the inverse of its quality level's running mean loss.

    The high-λ levels' losses are over ten times the low ones', so with a plain mean they set the direction
    of every step of the shared transforms. Scaling a level's loss by a constant keeps that level's own
    rate-distortion trade-off; it only changes how much each level moves the weights they share.
    """

    def __init__(self, levels: int, momentum: float = 0.99):
        self.mean = torch.zeros(levels)
        self.momentum = momentum

    def __call__(self, losses: torch.Tensor, level: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            for lv in level.unique().tolist():
                v = float(losses[level == lv].mean())
                m = float(self.mean[lv])
                self.mean[lv] = v if m == 0 else self.momentum * m + (1 - self.momentum) * v
            seen = self.mean[self.mean > 0]
            w = seen.mean() / self.mean[level]
        return (losses * w).mean()


def level_sampler(levels: int, weights: tuple[float, ...] = ()) -> Callable[[int], torch.Tensor]:
    """A function drawing ``n`` level indexes, each level with probability ∝ its weight (all equal if none)."""
    if not weights:
        return lambda n: torch.randint(0, levels, (n,))
    w = torch.tensor(weights, dtype=torch.float64)
    if len(w) != levels or not bool(torch.isfinite(w).all()) or bool((w < 0).any()) or float(w.sum()) <= 0:
        raise ValueError(f"level weights must be {levels} non-negative numbers, not all zero")
    return lambda n: torch.multinomial(w, n, replacement=True)


@torch.no_grad()
def validate_codec(model: CodecNet, crops: list[torch.Tensor], levels: tuple[int, ...]) -> dict[str, float]:
    """Estimated bpp and PSNR (rounded latents, no entropy coding) on held-out crops at a few levels."""
    res: dict[str, float] = {}
    if not crops:
        return res
    for q in levels:
        bpps, psnrs = [], []
        for x in crops:
            out = model(x[None], torch.tensor([float(q)]))
            _, bpp, _ = rd_loss(out, x[None], torch.zeros(1))
            mse = (out["x_hat"].clamp(0, 1).mul(255).round() / 255 - x).pow(2).mean()
            bpps.append(float(bpp))
            psnrs.append(float(10 * torch.log10(1 / mse.clamp_min(1e-10))))
        res[f"val_q{q}_bpp"] = sum(bpps) / len(bpps)
        res[f"val_q{q}_psnr"] = sum(psnrs) / len(psnrs)
    return res


def train_codec(recipe: CodecRecipe, cfg: TrainConfig, dirs: list[Path], ckpt: Path | None = None,
                init: CodecNet | None = None, val_fraction: float = 0.05) -> tuple[CodecNet, Trainer, dict]:
    """Train (or continue) the codec; returns the EMA model (not yet baked), the trainer and data facts."""
    d = load_crop_data(dirs, recipe.val_crop, 64, cfg.log, val_fraction)
    data, val = RandomCrops(d.train, multiple=64), d.val
    model = init if init is not None else CodecNet(**recipe.model_kwargs())
    trainer = Trainer(model, cfg, ckpt)
    lambdas = torch.tensor(recipe.lambdas)
    levels = len(recipe.lambdas)
    balance = LevelBalance(levels) if recipe.balance_levels else None
    draw = level_sampler(levels, recipe.level_weights)
    low, high = model.first_quality, model.max_quality     # quality numbers of the first and last level

    def step(m: nn.Module, i: int) -> torch.Tensor:
        x = data.batch(recipe.batch, recipe.patch)
        level = draw(recipe.batch)
        if cfg.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        losses, _, _ = rd_terms(m(x, level.float() + low), x, lambdas[level])
        return balance(losses, level) if balance else losses.mean()

    # the recipe's levels that the model has, and always its lowest and highest
    val_levels = tuple(sorted({q for q in recipe.val_levels if low <= q <= high} | {low, high}))

    def val_fn(m: nn.Module) -> dict:
        return validate_codec(m, val, val_levels)

    trainer.fit(step, val_fn)
    return trainer.ema, trainer, d.facts


@torch.no_grad()
def count_symbols(model: CodecNet, crops: list[torch.Tensor], qualities: list[float]) -> torch.Tensor:
    """Code every 3×H×W crop (sides multiples of 64) at every quality with the model's current tables and count
    the latent symbols per Gaussian table (:class:`restore.codecs.entropy.SymbolCounter`'s layout)."""
    counter = SymbolCounter(model.context.gaussian.table)
    for x in crops:
        features = model.analyse(x[None])
        for q in qualities:
            model.encode_latents(x[None], q, features, writer=counter)
    return counter.counts


def table_crops(dirs: list[Path], images: int, size: int = 384) -> list[torch.Tensor]:
    """Centre crops (at most ``size`` px, sides multiples of 64) of ``images`` training images spread evenly
    over the training split of ``dirs`` (never its validation images)."""
    train, _ = split_train_val(find_images(dirs))
    picked = train[::max(1, len(train) // images)][:images] if images > 0 else []
    crops = []
    for p in picked:
        im = load_rgb_u8(p)
        h, w = im.shape[-2:]
        ch, cw = min(size, h) // 64 * 64, min(size, w) // 64 * 64
        if ch and cw:
            crops.append(centre_crop(im, ch, cw).float() / 255)
    return crops


def fit_tables(model: CodecNet, crops: list[torch.Tensor]) -> dict:
    """Bake ``model`` with Gaussian tables fitted to the symbols it codes for ``crops`` at every whole quality;
    returns what to record in the manifest."""
    model.eval().bake()                 # the Gaussian tables pick the table indexes the counts are made with
    qualities = [float(q) for q in range(model.first_quality, model.max_quality + 1)]
    counts = count_symbols(model, crops, qualities)
    model.context.gaussian.bake(counts=counts)      # only these tables change: the same networks, same thresholds
    return {"fitted_tables": {"crops": len(crops), "qualities": len(qualities), "symbols": int(counts.sum())}}
