"""The Python API: load models from the manifest and run tasks on any image-like input."""
from __future__ import annotations

import threading
from typing import Any, Optional, Union

from restore.convert import from_image, to_image
from restore.weights import Manifest, ModelEntry, build_model

__all__ = ["load", "sr", "list_models"]

_cache: dict = {}
_cache_lock = threading.Lock()


def list_models() -> list[ModelEntry]:
    """Every model in ``weights/manifest.json``."""
    return list(Manifest().entries)


def load(name: str, scale: Optional[int] = None, precision: str = "auto"):
    """A reusable, thread-safe model object for a manifest id or alias (``"sr-x4"``).

    The weights' sha256 is checked against the manifest and keys must match exactly.
    """
    entry, alias_scale = Manifest().resolve(name)
    scale = scale or alias_scale
    key = (entry.id, entry.sha256, scale, precision)
    with _cache_lock:
        if key in _cache:
            return _cache[key]
        net = build_model(entry)
        if entry.task == "sr":
            from restore.tasks.sr import SRModel

            scale = scale or max(entry.scales)
            model = SRModel(net, scale, precision, entry)
        else:
            raise ValueError(f"model {entry.id!r} has task {entry.task!r}, which this version cannot run")
        _cache[key] = model
        return model


def sr(img: Any, scale: int = 4, model: Optional[str] = None, tile: Union[int, str] = "auto",
       precision: str = "auto") -> Any:
    """Super-resolve ``img`` (path, numpy H×W×C uint8/uint16/float, PIL image, C×H×W tensor or Image).

    Returns the same kind of object it was given (a path gives a :class:`restore.io.Image`).
    """
    m = load(model or f"sr-x{scale}", scale=scale, precision=precision)
    image, how = to_image(img)
    return from_image(m(image, tile=tile), how)
