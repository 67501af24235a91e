"""Picklable model calls: what a batch hands to its worker processes (each loads its model once)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

from restore.formats import ImageError

__all__ = ["ModelCall", "AutoSRCall", "write_with_layer"]


@dataclass
class ModelCall:
    """``restore.load(model, **load)(img, **call)``, addressed by name so that it pickles in a few bytes.

    ``sha256`` pins the weights: a worker whose manifest has other weights under that id refuses the job
    instead of quietly producing different outputs. ``restore.load`` caches per process, so a worker loads
    the model on its first image and reuses it for the rest.
    """

    model: str
    sha256: str
    load: dict = field(default_factory=dict)
    call: dict = field(default_factory=dict)
    threads: Optional[int] = None

    def loaded(self) -> Any:
        """The loaded model (cached per process), checked against the pinned weights."""
        from restore.api import load
        from restore.runtime import set_threads

        set_threads(self.threads)
        m = load(self.model, **self.load)
        if m.entry.sha256 != self.sha256:
            raise ImageError(f"this machine's weights for {self.model!r} differ from the ones the batch was "
                             f"started with (sha256 {m.entry.sha256[:12]} ≠ {self.sha256[:12]})")
        return m

    def __call__(self, img: Any, progress: Optional[Callable[[int, int], None]] = None) -> Any:
        return self.loaded()(img, progress=progress, **self.call)


@dataclass
class AutoSRCall:
    """``restore sr --degradation auto`` as a picklable call: the pinned models of each route, each image to
    the route that suits it (:class:`restore.tasks.sr_auto.AutoSR`)."""

    clean: ModelCall
    real: Optional[ModelCall] = None
    dejpeg: Optional[ModelCall] = None
    force: Optional[str] = None
    call: dict = field(default_factory=dict)

    def __call__(self, img: Any, progress: Optional[Callable[[int, int], None]] = None) -> Any:
        from restore.tasks.sr_auto import AutoSR

        models = (None if c is None else c.loaded() for c in (self.clean, self.real, self.dejpeg))
        return AutoSR(*models, force=self.force)(img, progress=progress, **self.call)


def write_with_layer(result: Any, dst: Path, quality: int = 95, layer_suffix: Optional[str] = None) -> None:
    """Write a task's image; with ``layer_suffix`` the result is (image, layer) and the layer goes beside it."""
    from restore.io import write_image

    if layer_suffix is None:
        write_image(result, dst, quality=quality)
        return
    img, layer = result
    write_image(img, dst, quality=quality)
    write_image(layer, dst.with_name(dst.stem + layer_suffix + dst.suffix), quality=quality)
