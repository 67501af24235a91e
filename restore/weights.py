"""The weights manifest: every shipped model, its file, hash, architecture and measured metrics.

The files are package data (``weights/`` of the checkout is installed as the package ``restore._weights``), so a
wheel or a plain ``pip install`` carries them; ``$RESTORE_WEIGHTS_DIR`` points at another folder. Loading verifies
the sha256 of the safetensors file and matches keys strictly; nothing is ever downloaded.

Retired models (superseded codec generations) keep their record under ``"retired"``, with the git commit whose
tree holds their file: they load only from a folder that holds that exact file, and otherwise fail with a
message that says how to get it.
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
           "RetiredModelError", "build_model", "model_card", "stored_state", "STORAGE"]


def _shipped_dir() -> Path:
    """Where the installed distribution keeps its weights: the package ``restore._weights`` (mapped to the
    checkout's ``weights/`` by pyproject.toml), or ``weights/`` beside the sources when ``restore`` is imported
    from a checkout that was never installed."""
    from importlib.resources import files

    try:
        return Path(str(files("restore._weights")))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent.parent / "weights"


WEIGHTS_DIR = _shipped_dir()
STORAGE = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}


def weights_dir() -> Path:
    """The weights folder in use: ``$RESTORE_WEIGHTS_DIR`` if set, else the shipped one."""
    return Path(os.environ.get("RESTORE_WEIGHTS_DIR") or WEIGHTS_DIR)


class WeightsError(RuntimeError):
    """A missing, altered or mismatched weights file."""


class RetiredModelError(KeyError):
    """A retired model whose weights file is not in the weights folder in use (``str()`` is the whole message)."""

    def __str__(self) -> str:
        return str(self.args[0])


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
    storage: str = "float32"   # dtype of the floating-point tensors in the file (results measured unchanged)
    commit: str = ""           # retired models: a git commit whose tree holds ``weights/<file>``

    def path(self, root: Optional[Path] = None) -> Path:
        return Path(root or weights_dir()) / self.file


class Manifest:
    """``manifest.json`` of a weights folder: a list of :class:`ModelEntry`, looked up by id or alias, and the
    retired records (the folder's own and the shipped manifest's)."""

    def __init__(self, root: Optional[Path] = None):
        self.root = Path(root or weights_dir())
        self.file = self.root / "manifest.json"
        raw = _read(self.file)
        self.entries = [ModelEntry(**m) for m in raw["models"]]
        self.retired = [ModelEntry(**m) for m in raw.get("retired", [])]
        shipped = {} if self.root.resolve() == WEIGHTS_DIR.resolve() else _read(WEIGHTS_DIR / "manifest.json")
        self.inherited = [ModelEntry(**m) for m in shipped.get("retired", [])]   # looked up, never written here

    def resolve(self, name: str) -> tuple[ModelEntry, Optional[int]]:
        """Entry for an id or alias; an alias like ``sr-x4`` also fixes the scale it stands for. A retired id
        resolves only when its file is in this folder (it is verified when loaded)."""
        for e in self.entries:
            if name == e.id:
                return e, None
            for a in e.aliases:
                if name == a:
                    return e, _alias_scale(a)
        for e in self.retired + self.inherited:
            if name == e.id:
                if e.path(self.root).is_file():
                    return e, None
                raise RetiredModelError(retired_message(e))
        known = sorted({e.id for e in self.entries} | {a for e in self.entries for a in e.aliases})
        raise KeyError(f"unknown model {name!r}; known: {', '.join(known) or 'none'}")

    def upsert(self, entry: ModelEntry) -> None:
        self.entries = [e for e in self.entries if e.id != entry.id] + [entry]
        for e in self.entries:
            if e is not entry:
                e.aliases = [a for a in e.aliases if a not in entry.aliases]
        self.save()

    def retire(self, model_id: str, commit: str) -> ModelEntry:
        """Move a model to the retired records: it stops shipping, and its file stays in git at ``commit``."""
        entry, _ = self.resolve(model_id)
        entry.commit, entry.aliases = commit, []
        self.entries = [e for e in self.entries if e is not entry]
        self.retired = [e for e in self.retired if e.id != model_id] + [entry]
        self.save()
        (self.root / f"{model_id}.md").unlink(missing_ok=True)
        return entry

    def save(self) -> None:
        from restore.io import atomic_write_bytes

        data = {"models": [_record(e) for e in sorted(self.entries, key=lambda e: e.id)]}
        if self.retired:
            data["retired"] = [_record(e) for e in sorted(self.retired, key=lambda e: e.id)]
        atomic_write_bytes(self.file, (json.dumps(data, indent=2) + "\n").encode())
        for e in self.entries:
            atomic_write_bytes(self.root / f"{e.id}.md", model_card(e).encode())


def _read(file: Path) -> dict:
    return json.loads(file.read_text()) if file.is_file() else {"models": []}


def _record(e: ModelEntry) -> dict:
    """The manifest record, without ``storage`` and ``commit`` where they are at their defaults."""
    return {k: v for k, v in vars(e).items() if not (k in _OPTIONAL and v == _OPTIONAL[k])}


_OPTIONAL = {"storage": "float32", "commit": ""}


def retired_message(e: ModelEntry) -> str:
    """How to decode with a retired model: its weights stay in git history at ``e.commit``."""
    return (f"{e.id!r} (weights {e.sha256[:16]}) is retired and no longer shipped; to use it, extract its "
            f"weights from the restore repository's history and point RESTORE_WEIGHTS_DIR at them: "
            f"mkdir -p DIR && git show {e.commit[:12]}:weights/{e.file} > DIR/{e.file} && "
            f"RESTORE_WEIGHTS_DIR=DIR restore decode …")


def model_card(e: ModelEntry) -> str:
    """A short human-readable card: what the model is, what it was trained on, how it measured."""
    t = e.training
    lines = [f"# {e.id}", "", f"- task: {e.task}; aliases: {', '.join(e.aliases) or '-'}",
             f"- architecture: `{e.arch}` {json.dumps(e.kwargs)}; {t.get('params', '?')} parameters",
             f"- file: `{e.file}` (sha256 `{e.sha256}`, {e.storage} weights), licence {e.licence}",
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


def stored_state(state: dict[str, torch.Tensor], storage: str = "float32") -> dict[str, torch.Tensor]:
    """The tensors as a file of ``storage`` holds them: fp32/fp16/bf16 tensors in that dtype; integer tables and
    float64 fixed-point buffers keep theirs (the codec's exact integer path depends on them)."""
    dtype = STORAGE[storage]
    return {k: v.detach().to(dtype).contiguous() if v.dtype in (torch.float32, torch.float16, torch.bfloat16)
            else v.detach().contiguous() for k, v in state.items()}


def save_state(model: torch.nn.Module | dict, path: Path, storage: str = "float32") -> str:
    """Save a module's state dict (or a state dict) as safetensors of ``storage``, atomically; returns its sha256."""
    from safetensors.torch import save

    from restore.io import atomic_write_bytes

    state = model.state_dict() if isinstance(model, torch.nn.Module) else model
    atomic_write_bytes(Path(path), save(stored_state(state, storage)))
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
