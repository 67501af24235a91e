"""The weights manifest: every shipped model, its file, hash, architecture and measured metrics.

Loading verifies the sha256 of the safetensors file and matches keys strictly; nothing is ever
downloaded.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import torch

__all__ = ["WEIGHTS_DIR", "weights_dir", "ModelEntry", "Manifest", "sha256_file", "load_state", "save_state", "WeightsError",
           "build_model", "model_card"]

WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "weights"


def weights_dir() -> Path:
    """The weights folder in use: ``$RESTORE_WEIGHTS_DIR`` if set, else the shipped ``weights/``."""
    return Path(os.environ.get("RESTORE_WEIGHTS_DIR") or WEIGHTS_DIR)


class WeightsError(RuntimeError):
    """A missing, altered or mismatched weights file."""


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass
class ModelEntry:
    """One manifest record (``id`` is ``arch-task-variant``; aliases such as ``sr-x4`` point at it)."""

    id: str
    task: str
    arch: str
    kwargs: dict
    file: str
    sha256: str
    aliases: list = field(default_factory=list)
    scales: list = field(default_factory=list)
    training: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    licence: str = "MIT"
    notes: str = ""

    def path(self, root: Optional[Path] = None) -> Path:
        return Path(root or weights_dir()) / self.file


class Manifest:
    """``weights/manifest.json``: a list of :class:`ModelEntry`, looked up by id or alias."""

    def __init__(self, root: Optional[Path] = None):
        self.root = Path(root or weights_dir())
        self.file = self.root / "manifest.json"
        raw = json.loads(self.file.read_text()) if self.file.exists() else {"models": []}
        self.entries = [ModelEntry(**m) for m in raw["models"]]

    def resolve(self, name: str) -> tuple[ModelEntry, Optional[int]]:
        """Entry for an id or alias; an alias like ``sr-x4`` also fixes the scale it stands for."""
        for e in self.entries:
            if name == e.id:
                return e, None
            for a in e.aliases:
                if name == a:
                    return e, _alias_scale(a)
        known = sorted({e.id for e in self.entries} | {a for e in self.entries for a in e.aliases})
        raise KeyError(f"unknown model {name!r}; known: {', '.join(known) or 'none'}")

    def upsert(self, entry: ModelEntry) -> None:
        self.entries = [e for e in self.entries if e.id != entry.id] + [entry]
        for e in self.entries:
            if e is not entry:
                e.aliases = [a for a in e.aliases if a not in entry.aliases]
        self.save()

    def save(self) -> None:
        from restore.io import atomic_write_bytes

        data = {"models": [vars(e) for e in sorted(self.entries, key=lambda e: e.id)]}
        atomic_write_bytes(self.file, (json.dumps(data, indent=2) + "\n").encode())
        for e in self.entries:
            atomic_write_bytes(self.root / f"{e.id}.md", model_card(e).encode())


def model_card(e: ModelEntry) -> str:
    """A short human-readable card: what the model is, what it was trained on, how it measured."""
    t = e.training
    lines = [f"# {e.id}", "", f"- task: {e.task}; aliases: {', '.join(e.aliases) or '-'}",
             f"- architecture: `{e.arch}` {json.dumps(e.kwargs)}; {t.get('params', '?')} parameters",
             f"- file: `{e.file}` (sha256 `{e.sha256}`), licence {e.licence}",
             f"- training data: {', '.join(t.get('data', []))} ({t.get('train_images', '?')} images; "
             f"{t.get('val_images', '?')} held out for validation)",
             f"- training: {t.get('steps', '?')} steps, {t.get('cpu_minutes', '?')} CPU minutes over "
             f"{t.get('runs', '?')} run(s); recipe {json.dumps(t.get('recipe', {}))}",
             f"- validation (held-out training images): {json.dumps(t.get('validation', {}))}"]
    if e.metrics:
        lines += ["", "## Measured metrics", ""] + [f"- {k}: {v}" for k, v in sorted(e.metrics.items())]
    if e.notes:
        lines += ["", "## Limits", "", e.notes]
    return "\n".join(lines) + "\n"


def _alias_scale(alias: str) -> Optional[int]:
    tail = alias.rsplit("-x", 1)
    return int(tail[1]) if len(tail) == 2 and tail[1].isdigit() else None


def save_state(model: torch.nn.Module, path: Path) -> str:
    """Save a state dict as safetensors, atomically; returns its sha256.

    Half-precision floats are stored as fp32; integer tables and float64 fixed-point buffers keep their dtype.
    """
    from safetensors.torch import save

    from restore.io import atomic_write_bytes

    state = {k: v.detach().contiguous().float() if v.dtype in (torch.float16, torch.bfloat16) else
             v.detach().contiguous() for k, v in model.state_dict().items()}
    atomic_write_bytes(Path(path), save(state))
    return sha256_file(Path(path))


def load_state(entry: ModelEntry, root: Optional[Path] = None) -> dict[str, torch.Tensor]:
    """Read the entry's safetensors after checking it exists and its sha256 matches the manifest."""
    from safetensors.torch import load

    path = entry.path(root)
    if not path.exists():
        raise WeightsError(f"weights file {path} for model {entry.id!r} is missing")
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != entry.sha256:
        raise WeightsError(f"weights file {path} does not match the manifest hash "
                           f"(expected {entry.sha256[:12]}…, got {digest[:12]}…)")
    return load(data)


def build_model(entry: ModelEntry, root: Optional[Path] = None) -> torch.nn.Module:
    """Construct the entry's architecture and load its weights with strict key matching."""
    from restore.registry import ARCHS

    model = ARCHS.build(entry.arch, **entry.kwargs)
    model.load_state_dict(load_state(entry, root), strict=True)
    return model.eval()
