"""Single-image super-resolution at ×2/×3/×4 (the task around :class:`SRNet`)."""
from __future__ import annotations

import torch

from restore.resize import imresize
from restore.tasks.base import TaskModel
from restore.tasks.srnet import SRNet

__all__ = ["SRModel"]


class SRModel(TaskModel):
    """Upscales colour with the network and the alpha plane with MATLAB bicubic."""

    def __init__(self, net: SRNet, scale: int, precision: str = "auto", entry=None):
        if scale not in net.scales:
            raise ValueError(f"model {getattr(entry, 'id', 'srnet')} supports scales "
                             f"{', '.join(map(str, net.scales))}, not {scale}")
        super().__init__(net, precision, entry)
        self.scale = int(scale)
        self.bytes_per_pixel = 4.0 * 4 * net.body.channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x, self.scale)

    def process_alpha(self, alpha: torch.Tensor) -> torch.Tensor:
        return imresize(alpha, float(self.scale))
