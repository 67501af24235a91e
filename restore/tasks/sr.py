"""Single-image super-resolution at ×2/×3/×4 (the task around :class:`SRNet`)."""
from __future__ import annotations

from typing import Optional

import torch

from restore.resize import imresize
from restore.tasks.base import TaskModel
from restore.tasks.spec import TaskSpec, register_task
from restore.archs.srnet import SRNet

__all__ = ["SRModel", "SPEC", "SR_LIMITS", "REAL_SR_LIMITS"]

SR_LIMITS = ("Trained on clean photos downscaled with MATLAB bicubic: it restores detail lost to that "
             "downscaling, and does not remove JPEG artefacts, sensor noise or blur, which it may sharpen. "
             "Small (CPU-trained) model: expect results between classic lightweight CNNs and large transformers.")

REAL_SR_LIMITS = ("Real-input model (sr-real-x2/x3/x4): fine-tuned from the clean model on a second-order "
                  "degradation (random blur kernels, resamplers, Gaussian/Poisson noise, JPEG q30-95, sinc ringing; "
                  "a fifth of the samples clean bicubic). Removes JPEG blocking and mild noise while upscaling; on "
                  "clean bicubic inputs it is below the clean model, which `restore sr` keeps for them. Optimised "
                  "for fidelity (L1): it invents no texture. Small (CPU-trained) model.")


class SRModel(TaskModel):
    """Upscales colour with the network and the alpha plane with MATLAB bicubic."""

    def __init__(self, net: SRNet, scale: int, precision: str = "auto", entry=None):
        if scale not in net.scales:
            raise ValueError(f"model {getattr(entry, 'id', 'srnet')} supports scales "
                             f"{', '.join(map(str, net.scales))}, not {scale}")
        super().__init__(net, precision, entry)
        self.scale = int(scale)

    @classmethod
    def build(cls, net: SRNet, entry, precision: str = "auto", scale: Optional[int] = None) -> "SRModel":
        return cls(net, scale or max(entry.scales), precision, entry)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x, self.scale)

    def process_alpha(self, alpha: torch.Tensor) -> torch.Tensor:
        return imresize(alpha, float(self.scale))


SPEC = register_task(TaskSpec(name="sr", model=SRModel, default="sr-x4", what="super-resolution", train="train sr",
                              recipe="restore.recipes.sr:SRRecipe", trainer="restore.recipes.sr:train_sr",
                              limits=SR_LIMITS))
