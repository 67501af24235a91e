"""Training recipes for whole-scene tasks: all-weather removal (rain, haze, snow) and reflection removal.

Pairs are synthesised on the fly from clean training crops with :mod:`restore.degrade.weather` and
:mod:`restore.degrade.reflection` (:func:`weather_pipeline`, :func:`reflection_pipeline`); a reflection sample
takes its reflected scene from another training crop. Weather samples are given their kind as a condition
``cond_fraction`` of the time and "any" (zeros) otherwise, so the one model serves ``derain``/``dehaze``/
``desnow`` and ``deweather``.
"""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

from restore.metrics import psnr
from restore.degrade.compose import OneOf
from restore.degrade.reflection import ThroughGlass, transmitted
from restore.degrade.weather import WEATHER_OPS
from restore.archs.globalnet import GlobalNet
from restore.formats import WEATHER
from restore.recipes.loop import TrainConfig, Trainer, fit_on_crops
from restore.recipes.config import SceneRecipe

__all__ = ["SceneRecipe", "weather_pipeline", "reflection_pipeline", "degrade_weather", "degrade_reflection",
           "scene_batch", "validate_scene", "train_scene"]

TASKS = ("weather", "dereflect")




def weather_pipeline() -> OneOf:
    """Rain, haze or snow, equally likely; the branch that ran is the kind (in ``WEATHER`` order)."""
    return OneOf(tuple(WEATHER_OPS[kind]() for kind in WEATHER))


def reflection_pipeline(reflected: torch.Tensor) -> ThroughGlass:
    """The photo through glass that reflects ``reflected`` (random blur, strength, transmission, ghost)."""
    return ThroughGlass(reflected)


def degrade_weather(clean: torch.Tensor, kind: int, gen: torch.Generator) -> torch.Tensor:
    """``clean`` (3×H×W) with the weather ``WEATHER[kind]`` added."""
    return weather_pipeline().ops[kind](clean, gen)


def degrade_reflection(clean: torch.Tensor, other: torch.Tensor, gen: torch.Generator) -> tuple[torch.Tensor,
                                                                                                 torch.Tensor]:
    """(photo through glass, transmission target) with ``other`` as the reflected scene."""
    photo, p = reflection_pipeline(other).run(clean, gen)
    return photo, transmitted(clean, p)


def scene_batch(recipe: SceneRecipe, clean: torch.Tensor, gen: torch.Generator) -> tuple:
    """(degraded, target, condition or None) for a clean N×3×H×W batch."""
    n = clean.shape[0]
    if recipe.task == "dereflect":
        pairs = [degrade_reflection(clean[i], clean[(i + 1) % n].flip(-1), gen) for i in range(n)]
        return torch.stack([p[0] for p in pairs]), torch.stack([p[1] for p in pairs]), None
    degraded, params = weather_pipeline().run_each(clean, gen)
    kinds = torch.tensor([p.index for p in params])
    cond = F.one_hot(kinds, len(WEATHER)).float()
    cond = cond * (torch.rand(n, 1, generator=gen) < recipe.cond_fraction)
    return degraded, clean, cond


@torch.no_grad()
def validate_scene(model: GlobalNet, crops: list[torch.Tensor], task: str) -> dict[str, float]:
    """PSNR of input and output on seeded synthetic versions of held-out crops, per weather kind (given the
    kind) or for reflections."""
    res: dict[str, float] = {}
    names = WEATHER if task == "weather" else ("reflection",)
    for k, name in enumerate(names):
        gen = torch.Generator().manual_seed(100 + k)
        before, after = [], []
        for i, x in enumerate(crops):
            if task == "weather":
                bad, target = degrade_weather(x, k, gen), x
                cond = torch.eye(len(WEATHER))[k][None]
            else:
                bad, target = degrade_reflection(x, crops[(i + 1) % len(crops)].flip(-1), gen)
                cond = None
            out = model(bad[None], cond=cond)[0].clamp(0, 1)
            before.append(psnr(bad * 255, target * 255))
            after.append(psnr(out * 255, target * 255))
        res[f"val_{name}_input"] = sum(before) / len(before)
        res[f"val_{name}"] = sum(after) / len(after)
    return res


def train_scene(recipe: SceneRecipe, cfg: TrainConfig, dirs: list[Path], ckpt: Path | None = None,
                init: GlobalNet | None = None, val_fraction: float = 0.05) -> tuple[GlobalNet, Trainer, dict]:
    """Train (or continue) a whole-scene model; returns the EMA model, the trainer and data facts."""
    if recipe.task not in TASKS:
        raise ValueError(f"unknown scene task {recipe.task!r}; use one of {', '.join(TASKS)}")

    def step(m: nn.Module, crops, gen: torch.Generator) -> torch.Tensor:
        bad, target, cond = scene_batch(recipe, crops.batch(recipe.batch, recipe.patch), gen)
        return F.l1_loss(m(bad, cond=cond).float(), target)

    return fit_on_crops(recipe, cfg, dirs, ckpt, init, GlobalNet, step,
                        lambda m, val: validate_scene(m, val, recipe.task), val_fraction=val_fraction)
