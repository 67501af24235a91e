"""What every task model shares: precision, threads, tiling, gray/alpha handling, thread safety."""
from __future__ import annotations

import math
from typing import Callable, Optional, Union

import torch
import torch.nn as nn

from restore.io import Image
from restore.runtime import resolve_precision, run_at
from restore.tiling import Tiler, auto_tile

__all__ = ["TaskModel", "DEFAULT_TILE_BUDGET"]

DEFAULT_TILE_BUDGET = 768 * 2**20   # bytes of activations per tile for --tile auto


class TaskModel:
    """A loaded network plus the pre/post-processing of its task.

    Safe to call from several threads: the weights are frozen and inference keeps no state
    (autocast and inference mode are per thread).
    """

    scale: int = 1
    multiple: int = 1                 # what the task itself needs of tile sides and positions (the Bayer grid)
    tile_pad: str = "reflect"         # context beyond the image border for a tile (Tiler.pad)
    tile_blend: int = 0               # cross-fade between neighbouring tiles, input pixels (0: exact crops)

    def __init__(self, net: nn.Module, precision: str = "auto", entry=None):
        self.net = net.eval()
        for p in self.net.parameters():
            p.requires_grad_(False)
        self.precision = resolve_precision(precision)
        if self.precision == "bf16":
            self.net = self.net.to(memory_format=torch.channels_last)
        self.entry = entry
        d = net.descriptor                     # every registered network declares one (restore.registry)
        self.receptive_radius, self.bytes_per_pixel = d.radius, d.bytes_per_pixel
        self.multiple = math.lcm(type(self).multiple, d.multiple)

    @classmethod
    def build(cls, net: nn.Module, entry, precision: str = "auto", scale: Optional[int] = None) -> "TaskModel":
        """The task model around a manifest entry's network (the task registry's one constructor contract;
        ``scale`` is the scale an alias like ``sr-x4`` fixed, for tasks that have several)."""
        return cls(net, precision, entry)

    def compile(self) -> None:
        """Run the network's forward through ``torch.compile`` (inductor; needs a C++ compiler). Each new tile
        shape compiles on first use, then shapes are treated as dynamic."""
        self.net.forward = torch.compile(self.net.forward)

    @property
    def id(self) -> str:
        return self.entry.id if self.entry is not None else type(self.net).__name__

    # -- to be provided by a task
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """N×3×h×w in [0, 1] → N×3×(s·h)×(s·w)."""
        raise NotImplementedError

    def process_alpha(self, alpha: torch.Tensor) -> torch.Tensor:
        """How the alpha plane follows the colour planes (default: unchanged)."""
        return alpha

    def tensor_fn(self, **options) -> Callable[[torch.Tensor], torch.Tensor]:
        """The pure N×3×h×w → N×3×(s·h)×(s·w) function a call with ``options`` runs on each tile (what
        ONNX export traces). Tasks whose networks take more than one image tensor do not provide it."""
        if type(self).forward is TaskModel.forward:
            raise ValueError(f"{self.id}: its network takes more than one input tensor, so it has no single "
                             f"image-to-image function to export")
        if options:
            raise ValueError(f"{self.id} takes no options here, got {', '.join(options)}")
        return self.forward

    # -- shared machinery
    @staticmethod
    def rgb_in(x: torch.Tensor) -> torch.Tensor:
        """C×H×W with C = 1 or 3 → 3×H×W (a gray plane is repeated; the networks see colour)."""
        return x.expand(3, -1, -1) if x.shape[0] == 1 else x

    @staticmethod
    def rgb_out(out: torch.Tensor, channels: int) -> torch.Tensor:
        """A 3×H×W result back to the input's ``channels`` (1: the mean of the three)."""
        return out.mean(0, keepdim=True) if channels == 1 else out

    def tiler(self, tile: Union[int, str, None] = "auto") -> Tiler:
        m = self.multiple
        overlap = -(-self.receptive_radius // m) * m
        if tile in (None, "auto", 0):
            size = auto_tile(DEFAULT_TILE_BUDGET, self.bytes_per_pixel * (self.scale ** 2 / 4 + 1), overlap, m)
        else:
            size = int(tile)
            if size < 16:
                raise ValueError(f"tile must be at least 16 pixels, not {size}")
            size = max(m, size - size % m)
        blend = min(-(-self.tile_blend // m) * m, size // 2 // m * m)
        return Tiler(tile=size, overlap=overlap, scale=self.scale, multiple=m, pad=self.tile_pad, blend=blend)

    def _run(self, x: torch.Tensor, forward: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
        return run_at(self.precision, forward, x)

    def run_tensor(self, x: torch.Tensor, tile: Union[int, str, None] = "auto",
                   progress: Optional[Callable[[int, int], None]] = None,
                   forward: Optional[Callable[[torch.Tensor], torch.Tensor]] = None) -> torch.Tensor:
        """C×H×W float in [0, 1] (C = 1 or 3) → processed C×H'×W', tiled (``forward`` defaults to
        :meth:`forward`; tasks with per-call options pass a closure, which keeps calls thread-safe)."""
        fn = forward or self.forward
        out = self.tiler(tile).run(lambda t: self._run(t, fn), self.rgb_in(x), progress)
        return self.rgb_out(out.clamp_(0, 1), x.shape[0])

    def __call__(self, img: Image, tile: Union[int, str, None] = "auto",
                 progress: Optional[Callable[[int, int], None]] = None) -> Image:
        if img.channels not in (1, 3):
            raise ValueError(f"expected 1 or 3 colour channels, got {img.channels}")
        pixels = self.run_tensor(img.pixels, tile, progress)
        alpha = None if img.alpha is None else self.process_alpha(img.alpha).clamp_(0, 1)
        return img.with_pixels(pixels, alpha)
