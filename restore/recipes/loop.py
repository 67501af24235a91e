"""The shared training loop: AdamW + warm-up/cosine schedule, EMA, wall-clock budget, resumable checkpoints."""
from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import torch
import torch.nn as nn

__all__ = ["TrainConfig", "Trainer", "cosine_lr", "fit_on_crops"]


@dataclass
class TrainConfig:
    minutes: float = 10.0          # wall-clock budget of this run
    total_minutes: float = 0.0     # length of the cosine schedule (0 → minutes); lets a resumed run continue it
    lr: float = 2e-3
    min_lr: float = 1e-5
    weight_decay: float = 0.0
    warmup_steps: int = 200
    ema_decay: float = 0.999
    bf16: bool = False
    channels_last: bool = True
    grad_clip: float = 1.0
    val_every_s: float = 120.0
    ckpt_every_s: float = 300.0
    threads: int = 0
    log: Callable[[str], None] = field(default=print)


def cosine_lr(cfg: TrainConfig, step: int, frac: float) -> float:
    """Linear warm-up over ``warmup_steps``, then cosine decay over the fraction of the time budget spent."""
    warm = min(1.0, (step + 1) / max(1, cfg.warmup_steps))
    cos = 0.5 * (1 + math.cos(math.pi * min(1.0, frac)))
    return warm * (cfg.min_lr + (cfg.lr - cfg.min_lr) * cos)


class Trainer:
    """Runs ``step_fn`` batches under a time budget; keeps an EMA copy that is validated and exported.

    ``step_fn(model, step) -> loss tensor`` builds its own batch; ``val_fn(model) -> dict`` measures.
    Time is measured in CPU-busy wall seconds and carried across resumes in the checkpoint.
    """

    def __init__(self, model: nn.Module, cfg: TrainConfig, ckpt: Optional[Path] = None):
        self.cfg = cfg
        if cfg.threads:
            torch.set_num_threads(cfg.threads)
        self.model = model
        if cfg.channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        self.ema = copy.deepcopy(self.model).eval()
        for p in self.ema.parameters():
            p.requires_grad_(False)
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay,
                                     betas=(0.9, 0.99))
        self.step = 0
        self.elapsed = 0.0      # seconds trained, over all resumed runs
        self.history: list[dict] = []
        self.ckpt = Path(ckpt) if ckpt else None
        if self.ckpt and self.ckpt.exists():
            self._load(self.ckpt)

    def _load(self, path: Path) -> None:
        state = torch.load(path, map_location="cpu", weights_only=True)
        try:
            self.model.load_state_dict(state["model"])
        except RuntimeError:
            raise ValueError(f"checkpoint {path} is for a different architecture; "
                             "pass a new --ckpt (or delete it) to start this run afresh") from None
        self.ema.load_state_dict(state["ema"])
        self.opt.load_state_dict(state["opt"])
        self.step, self.elapsed = int(state["step"]), float(state["elapsed"])
        self.cfg.log(f"resumed from {path} at step {self.step} ({self.elapsed / 60:.1f} min trained)")

    def save(self) -> None:
        if not self.ckpt:
            return
        self.ckpt.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.ckpt.with_suffix(".tmp")
        torch.save({"model": self.model.state_dict(), "ema": self.ema.state_dict(), "opt": self.opt.state_dict(),
                    "step": self.step, "elapsed": self.elapsed}, tmp)
        tmp.replace(self.ckpt)

    @torch.no_grad()
    def _update_ema(self) -> None:
        d = min(self.cfg.ema_decay, (1 + self.step) / (10 + self.step))
        for e, p in zip(self.ema.parameters(), self.model.parameters()):
            e.lerp_(p, 1 - d)
        for e, b in zip(self.ema.buffers(), self.model.buffers()):
            e.copy_(b)

    def fit(self, step_fn: Callable[[nn.Module, int], torch.Tensor],
            val_fn: Callable[[nn.Module], dict]) -> list[dict]:
        cfg = self.cfg
        total = (cfg.total_minutes or cfg.minutes) * 60
        start_elapsed = self.elapsed
        t0 = time.time()
        last_val = last_ckpt = t0
        loss_avg = None
        self.model.train()
        while True:
            now = time.time()
            self.elapsed = start_elapsed + (now - t0)
            if now - t0 >= cfg.minutes * 60:
                break
            for g in self.opt.param_groups:
                g["lr"] = cosine_lr(cfg, self.step, self.elapsed / total)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=cfg.bf16):
                loss = step_fn(self.model, self.step)
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            if cfg.grad_clip:
                nn.utils.clip_grad_norm_(self.model.parameters(), cfg.grad_clip)
            self.opt.step()
            self._update_ema()
            self.step += 1
            loss_avg = loss.item() if loss_avg is None else 0.98 * loss_avg + 0.02 * loss.item()
            if now - last_val >= cfg.val_every_s:
                self._validate(val_fn, loss_avg)
                last_val = time.time()
            if now - last_ckpt >= cfg.ckpt_every_s:
                self.save()
                last_ckpt = time.time()
        self._validate(val_fn, loss_avg)
        self.save()
        return self.history

    def _validate(self, val_fn: Callable[[nn.Module], dict], loss_avg: Optional[float]) -> None:
        metrics = val_fn(self.ema)
        rec = {"step": self.step, "minutes": round(self.elapsed / 60, 2), "loss": loss_avg, **metrics}
        self.history.append(rec)
        shown = " ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in rec.items())
        self.cfg.log(shown)


def fit_on_crops(recipe, cfg: TrainConfig, dirs: list, ckpt: Optional[Path], init: Optional[nn.Module],
                 build: Callable[..., nn.Module], step: Callable, validate: Callable[[nn.Module, list], dict],
                 multiple: int = 2, val_fraction: float = 0.05,
                 sampler: Optional[Callable[[list], object]] = None) -> tuple[nn.Module, "Trainer", dict]:
    """The driver every recipe but the codec's shares: split and load ``dirs``, build
    ``build(**recipe.model_kwargs())`` (or continue ``init``), and train with ``step(model, crops, generator) ->
    loss``, where ``crops`` is ``sampler(training images)`` (default: :class:`RandomCrops`, whose ``batch(n, p)``
    samples random dihedral crops with sides a multiple of ``multiple``); ``validate(model, val_crops)`` on
    centre crops whose sides are multiples of ``multiple``. Returns (EMA model, trainer, data facts)."""
    from restore.recipes.data import load_crop_data
    from restore.recipes.patches import RandomCrops

    d = load_crop_data(dirs, recipe.val_crop, multiple, cfg.log, val_fraction)
    crops = sampler(d.train) if sampler is not None else RandomCrops(d.train, multiple=multiple)
    model = init if init is not None else build(**recipe.model_kwargs())
    trainer = Trainer(model, cfg, ckpt)
    gen = torch.Generator().manual_seed(0)
    trainer.fit(lambda m, i: step(m, crops, gen), lambda m: validate(m, d.val))
    return trainer.ema, trainer, d.facts
