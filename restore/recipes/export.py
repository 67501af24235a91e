"""Turn a finished training run into shipped weights plus a manifest entry."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

import torch.nn as nn

from restore.recipes.loop import Trainer
from restore.weights import Manifest, ModelEntry, save_state

__all__ = ["export_model", "arch_spec"]


def arch_spec(model: nn.Module) -> tuple[str, dict]:
    """(registered arch name, kwargs) stored on the model when it was built."""
    spec = getattr(model, "arch_spec", None)
    if spec is None:
        raise ValueError(f"{type(model).__name__} does not record its architecture (arch_spec)")
    return spec


def export_model(model: nn.Module, trainer: Trainer, facts: dict, *, model_id: str, task: str, root: Path,
                 prior: Optional[ModelEntry], scales: list, aliases: list, recipe: dict, notes: str = "") -> ModelEntry:
    """Save EMA weights as ``<id>.safetensors`` and upsert the manifest entry (training totals accumulate)."""
    arch, kwargs = arch_spec(model)
    root.mkdir(parents=True, exist_ok=True)
    file = f"{model_id}.safetensors"
    digest = save_state(model, root / file)
    before = prior.training if prior is not None else {}
    last = trainer.history[-1] if trainer.history else {}
    training = {
        "data": facts["data"], "train_images": facts["train_images"], "val_images": facts["val_images"],
        "steps": int(before.get("steps", 0)) + trainer.step,
        "cpu_minutes": round(float(before.get("cpu_minutes", 0)) + trainer.elapsed / 60, 1),
        "runs": int(before.get("runs", 0)) + 1,
        "recipe": recipe,
        "params": sum(p.numel() for p in model.parameters()),
        "validation": {k: round(v, 3) for k, v in last.items() if k.startswith("val_")},
        "finished": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "history": [{k: (round(v, 4) if isinstance(v, float) else v) for k, v in h.items()}
                    for h in trainer.history][-20:],
    }
    metrics = dict(prior.metrics) if prior is not None and prior.sha256 == digest else {}
    entry = ModelEntry(id=model_id, task=task, arch=arch, kwargs=kwargs, file=file, sha256=digest, aliases=aliases,
                       scales=scales, training=training, metrics=metrics, notes=notes)
    Manifest(root).upsert(entry)
    return entry
