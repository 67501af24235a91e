"""The Bayer mosaic: patterns, per-colour site masks, mosaicking, and missing (defective) sites."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Union

import torch

from restore.degrade.compose import Op, draw
from restore.formats import PATTERNS

__all__ = ["PATTERNS", "check_pattern", "bayer_masks", "mosaic", "Mosaic", "MissingSitesParams",
           "sample_missing_sites", "apply_missing_sites", "MissingSites"]


def check_pattern(pattern: str) -> str:
    """The pattern in upper case, or a one-line ValueError naming the valid ones."""
    p = str(pattern).upper()
    if p not in PATTERNS:
        raise ValueError(f"unknown Bayer pattern {pattern!r}; use one of {', '.join(PATTERNS)}")
    return p


def bayer_masks(pattern: str, height: int, width: int) -> torch.Tensor:
    """3×H×W boolean masks: which of R, G, B each photosite records (the 2×2 ``pattern`` read row by row)."""
    p = check_pattern(pattern)
    masks = torch.zeros(3, height, width, dtype=torch.bool)
    for k, colour in enumerate(p):
        c = "RGB".index(colour)
        masks[c, k // 2::2, k % 2::2] = True
    return masks


def mosaic(rgb: torch.Tensor, pattern: str = "RGGB") -> torch.Tensor:
    """…×3×H×W RGB → …×1×H×W Bayer mosaic (each site keeps the colour its filter passes)."""
    m = bayer_masks(pattern, *rgb.shape[-2:]).to(rgb.device)
    return (rgb * m).sum(-3, keepdim=True)


@dataclass(frozen=True)
class Mosaic(Op):
    """RGB → its Bayer mosaic (no randomness)."""
    pattern: str = "RGGB"

    def apply(self, x: torch.Tensor, params=None) -> torch.Tensor:
        return mosaic(x, self.pattern)


@dataclass(frozen=True, eq=False)
class MissingSitesParams:
    fraction: Union[float, torch.Tensor]     # the share of sites drawn as missing
    valid: torch.Tensor                       # bool, the image's shape: True where the site was measured


def sample_missing_sites(generator: Optional[torch.Generator], shape, fraction=(0.0, 0.08)) -> MissingSitesParams:
    """Each site missing with probability ``fraction``: a number, a (lo, hi) pair (one uniform draw), or a
    tensor that broadcasts against ``shape`` (e.g. one value per image of a batch)."""
    f = draw(generator, fraction)
    return MissingSitesParams(f, torch.rand(shape, generator=generator) >= f)


def apply_missing_sites(x: torch.Tensor, p: MissingSitesParams) -> torch.Tensor:
    """``x`` with the missing sites set to 0 (what a model given the validity mask ignores)."""
    return x * p.valid.to(x.dtype)


@dataclass(frozen=True)
class MissingSites(Op):
    fraction: tuple = (0.0, 0.08)

    def sample(self, generator, x) -> MissingSitesParams:
        return sample_missing_sites(generator, x.shape, self.fraction)

    def apply(self, x, params: MissingSitesParams):
        return apply_missing_sites(x, params)
