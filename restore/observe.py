"""What a program that embeds the commands (``restore serve``) watches while one runs: tile progress, the models
that were loaded, and the batch's result. Set per thread (a ContextVar), so the commands themselves run exactly
as they do on a terminal, and nothing is recorded when nobody watches."""
from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

__all__ = ["Observer", "WATCH", "watching", "noted_model", "noted_progress"]


@dataclass
class Observer:
    progress: Callable[[int, int], None] = lambda done, total: None    # called with tiles done of total
    models: list = field(default_factory=list)                        # ids of the models loaded, in order
    result: Any = None                                                # the BatchResult of the run


WATCH: ContextVar[Optional[Observer]] = ContextVar("restore_watch", default=None)


def watching() -> Optional[Observer]:
    return WATCH.get()


def noted_model(model_id: str) -> None:
    """Record that ``model_id`` was loaded for the running command (when someone watches)."""
    obs = WATCH.get()
    if obs is not None and model_id not in obs.models:
        obs.models.append(model_id)


def noted_progress(done: int, total: int) -> None:
    """Report tile progress (when someone watches; the watcher may raise to cancel the run)."""
    obs = WATCH.get()
    if obs is not None:
        obs.progress(done, total)
