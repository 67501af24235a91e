"""The JPEG-artefact remover: the denoiser's network told (or estimating) how hard the image was compressed.

JPEG artefacts are a noise whose strength the quality factor sets (FBCNN's observation), so the network is
:class:`~restore.archs.denoisenet.DenoiseNet` with the level map carrying the compression level
``(100 − quality) / 100`` instead of σ: given when the file's quantisation tables tell it, estimated per pixel
by the same small local estimator otherwise. The 2×2 unshuffle keeps the 8×8 block grid whole in 4×4 cells.
"""
from __future__ import annotations

from typing import Optional, Union

import torch

from restore.archs.denoisenet import DenoiseNet
from restore.registry import register_arch

__all__ = ["DejpegNet", "quality_level", "level_quality"]


def quality_level(quality: Union[float, torch.Tensor]) -> Union[float, torch.Tensor]:
    """JPEG quality (1-100) → the level the network sees (0 = lossless … ~1 = quality 1)."""
    return (100 - quality) / 100


def level_quality(level: Union[float, torch.Tensor]) -> Union[float, torch.Tensor]:
    """The inverse of :func:`quality_level`."""
    return 100 - 100 * level


@register_arch("dejpegnet")
class DejpegNet(DenoiseNet):
    """Same body, stem and estimator as the denoiser (so it can start from its weights)."""

    def forward(self, x: torch.Tensor, quality: Optional[Union[float, torch.Tensor]] = None, *,
                level: Optional[Union[float, torch.Tensor]] = None) -> tuple:
        """(restored N×C×H×W, the level map used) for ``x`` in [0, 1] with even H and W. ``quality``: a number,
        a per-image vector or an N×1×H×W map of JPEG qualities; or ``level`` the same in level units
        (:func:`quality_level`); neither: the per-pixel estimate."""
        if quality is not None:
            level = quality_level(torch.as_tensor(quality, dtype=x.dtype))
        if level is None:
            return super().forward(x, None)
        # DenoiseNet's map is in 8-bit σ units (it divides by 255)
        return super().forward(x, torch.as_tensor(level, dtype=x.dtype) * 255)
