"""The task registry: one :class:`TaskSpec` per task, declared by the task's own module.

A task is what a manifest entry's ``task`` names: how a loaded network is wrapped for inference, the alias a
command runs by default, the words messages use, how it is trained and what its model card says it cannot do.
``api.load`` and the CLI read everything about a task from here, so adding a task is its module plus one line
in :data:`TASK_MODULES`.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Optional

__all__ = ["TaskSpec", "register_task", "task_spec", "task_specs", "TASK_MODULES"]

# Every module that declares a task (the one line a new task adds).
TASK_MODULES = ("restore.tasks.sr", "restore.tasks.sr_any", "restore.tasks.denoise", "restore.tasks.dejpeg",
                "restore.tasks.demosaic", "restore.tasks.scene", "restore.tasks.burst", "restore.codecs.codec")


@dataclass(frozen=True)
class TaskSpec:
    """What the rest of restore needs to know about one task."""

    name: str                     # the manifest's ``task`` value
    model: type                   # inference class; ``model.build(net, entry, precision, scale)`` wraps a network
    default: str                  # alias a command runs without --model
    what: str                     # the task in words, for messages ("no denoising model is installed yet")
    train: str                    # the `restore …` command that trains it
    recipe: str = ""              # "module:Class" of its training recipe (imported only to train)
    trainer: str = ""             # "module:function" that trains it
    limits: str = ""              # model-card "Limits" text written by training
    needs: tuple[str, ...] = ()   # other models it uses when installed (burst's single-frame denoiser)
    no_compile: str = ""          # why it may not run through torch.compile (empty: it may)

    def build(self, net: Any, entry: Any, precision: str = "auto", scale: Optional[int] = None) -> Any:
        """The task model around ``entry``'s network."""
        return self.model.build(net, entry, precision, scale)

    def resolve(self, field: str) -> Any:
        """The object a "module:name" field names (``recipe`` or ``trainer``), imported now."""
        module, _, name = getattr(self, field).partition(":")
        return getattr(importlib.import_module(module), name)


_SPECS: dict[str, TaskSpec] = {}


def register_task(spec: TaskSpec) -> TaskSpec:
    """Add ``spec`` (called once by the task's module at import)."""
    if _SPECS.get(spec.name, spec) is not spec:
        raise KeyError(f"task {spec.name!r} is registered twice")
    _SPECS[spec.name] = spec
    return spec


def task_specs() -> dict[str, TaskSpec]:
    """Every registered task by name (imports the task modules on first use)."""
    for mod in TASK_MODULES:
        importlib.import_module(mod)
    return dict(_SPECS)


def task_spec(name: str) -> TaskSpec:
    """The spec of task ``name``; a clear error for a task this version does not know."""
    specs = task_specs()
    if name not in specs:
        raise ValueError(f"task {name!r} is not one this version of restore can run; known: {', '.join(sorted(specs))}")
    return specs[name]
