"""Random paired patches for SR training, with the 8 dihedral augmentations."""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from restore.degrade.compose import Op
from restore.degrade.resize import BicubicDown

__all__ = ["dihedral", "SRPairs", "DegradedPairs", "RandomCrops"]


def dihedral(x: torch.Tensor, k: int) -> torch.Tensor:
    """Apply the k-th (0..7) of the 8 flips/rotations to the last two dims."""
    if k & 4:
        x = x.flip(-1)
    return torch.rot90(x, k & 3, dims=(-2, -1))


class SRPairs:
    """Holds HR images (uint8) and their LR versions per scale (``degrade(scale)``, a deterministic op on 0-255
    images: MATLAB bicubic by default); samples aligned patches."""

    def __init__(self, images: list[torch.Tensor], scales: tuple[int, ...], seed: int = 0,
                 degrade: Callable[[int], Op] = BicubicDown):
        self.scales = tuple(scales)
        self.hr = images
        self.lr = {s: [degrade(s)(im.float()).to(torch.uint8) for im in images] for s in self.scales}
        areas = torch.tensor([float(im.shape[-1] * im.shape[-2]) for im in images])
        self.weights = areas / areas.sum()
        self.gen = torch.Generator().manual_seed(seed)

    def batch(self, scale: int, batch: int, lr_patch: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(LR, HR) float batches in [0, 1]: N×3×p×p and N×3×(sp)×(sp)."""
        g = self.gen
        idx = torch.multinomial(self.weights, batch, replacement=True, generator=g).tolist()
        lrs, hrs = [], []
        for i in idx:
            lr = self.lr[scale][i]
            h, w = lr.shape[-2:]
            y = int(torch.randint(0, h - lr_patch + 1, (1,), generator=g))
            x = int(torch.randint(0, w - lr_patch + 1, (1,), generator=g))
            k = int(torch.randint(0, 8, (1,), generator=g))
            hp = lr_patch * scale
            lrs.append(dihedral(lr[:, y:y + lr_patch, x:x + lr_patch], k))
            hrs.append(dihedral(self.hr[i][:, y * scale:y * scale + hp, x * scale:x * scale + hp], k))
        return torch.stack(lrs).float().div_(255), torch.stack(hrs).float().div_(255)


class DegradedPairs:
    """HR crops and their LR made by a random op per crop (``degrade(scale)``, e.g.
    :class:`restore.degrade.realsr.RealDown`, on [0, 1] images).

    Degrading costs more than a small network's step, so pairs live in a pool of ``pool`` per scale: a batch adds
    ``fresh`` new pairs (replacing random old ones; until the pool is full, a whole batch), then draws its pairs
    from the pool, each under a random flip/rotation. A pair is so seen about pool/fresh/… times in 8 poses
    while every step still brings new degradations.
    """

    def __init__(self, images: list[torch.Tensor], scales: tuple[int, ...], degrade: Callable[[int], Op],
                 seed: int = 0, pool: int = 384, fresh: int = 4):
        self.ops = {s: degrade(s) for s in scales}
        self.crops = RandomCrops(images, multiple=1, seed=seed)
        self.gen = torch.Generator().manual_seed(seed + 1)
        self.size, self.fresh = pool, fresh
        self.pool: dict[int, list[tuple[torch.Tensor, torch.Tensor]]] = {s: [] for s in scales}

    def _below(self, n: int) -> int:
        return int(torch.randint(0, n, (1,), generator=self.gen))

    def batch(self, scale: int, batch: int, lr_patch: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(LR, HR) float batches in [0, 1]: N×3×p×p and N×3×(sp)×(sp)."""
        pool = self.pool[scale]
        if pool and pool[0][0].shape[-1] != lr_patch:
            pool.clear()                                        # the patch size changed
        new = batch if len(pool) < self.size else self.fresh
        for hr in self.crops.batch(new, lr_patch * scale):
            with torch.autocast("cpu", enabled=False):      # degradations are data, made in float32
                pair = (self.ops[scale](hr, self.gen), hr)
            if len(pool) < self.size:
                pool.append(pair)
            else:
                pool[self._below(len(pool))] = pair
        lrs, hrs = [], []
        for _ in range(batch):
            lr, hr = pool[self._below(len(pool))]
            k = self._below(8)
            lrs.append(dihedral(lr, k))
            hrs.append(dihedral(hr, k))
        return torch.stack(lrs), torch.stack(hrs)


class RandomCrops:
    """Random dihedral crops (float, [0, 1]) from in-memory uint8 images.

    Crop sides are ``patch`` rounded down to ``multiple`` where an image is smaller; such crops are
    reflect-padded back up to ``patch`` so every batch has one shape.
    """

    def __init__(self, images: list[torch.Tensor], multiple: int = 1, seed: int = 0):
        self.images = [im for im in images if min(im.shape[-2:]) >= multiple]
        self.multiple = multiple
        self.gen = torch.Generator().manual_seed(seed)

    def _below(self, n: int) -> int:
        return int(torch.randint(0, n, (1,), generator=self.gen))

    def batch(self, n: int, patch: int) -> torch.Tensor:
        out = []
        for _ in range(n):
            im = self.images[self._below(len(self.images))]
            h, w = im.shape[-2:]
            p = min(patch, h, w) // self.multiple * self.multiple
            y, x = self._below(h - p + 1), self._below(w - p + 1)
            crop = dihedral(im[:, y:y + p, x:x + p], self._below(8))
            if p < patch:
                crop = F.pad(crop[None].float(), (0, patch - p, 0, patch - p), mode="reflect")[0]
            out.append(crop.float() / 255)
        return torch.stack(out)
