"""Hyperprior: side information ``z`` that conditions the Gaussian model of ``y`` (Ballé et al. 2018).

``h_a`` (encoder only) runs in float; ``h_s`` runs in exact fixed point when coding, since the decoder's
CDF indexes depend on it. ``h_s`` upsamples with conv + pixel shuffle, which the fixed-point path supports.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from restore.codecs.entropy import FactorizedPrior, RansReader, RansWriter
from restore.codecs.fixedpoint import FixedNet

__all__ = ["Hyperprior"]


def _up(cin: int, cout: int) -> list[nn.Module]:
    return [nn.Conv2d(cin, 4 * cout, 3, padding=1), nn.PixelShuffle(2), nn.ReLU()]


class Hyperprior(nn.Module):
    """``y`` → ``z`` (stride 4) → factorized prior; ``z_hat`` → hyper features at ``y`` resolution."""

    def __init__(self, y_channels: int, channels: int, z_channels: int, out_channels: int):
        super().__init__()
        self.h_a = nn.Sequential(
            nn.Conv2d(y_channels, channels, 3, padding=1), nn.ReLU(),
            nn.Conv2d(channels, channels, 5, stride=2, padding=2), nn.ReLU(),
            nn.Conv2d(channels, z_channels, 5, stride=2, padding=2))
        self.h_s = nn.Sequential(
            nn.Conv2d(z_channels, channels, 3, padding=1), nn.ReLU(),
            *_up(channels, channels), *_up(channels, channels),
            nn.Conv2d(channels, out_channels, 3, padding=1))
        self.prior = FactorizedPrior(z_channels)
        self._fixed: FixedNet | None = None

    def forward(self, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Training pass: (hyper features, likelihoods of ``z``)."""
        z_hat, lik = self.prior(self.h_a(y))
        return self.h_s(z_hat), lik

    def freeze(self) -> None:
        self._fixed = FixedNet(self.h_s)

    def _hs(self) -> FixedNet:
        if self._fixed is None:
            self.freeze()
        return self._fixed

    def encode(self, y: torch.Tensor, writer: RansWriter, z: torch.Tensor | None = None) -> torch.Tensor:
        """Code ``z`` (by default ``h_a(y)``); returns the hyper features in fixed point, exactly as the decoder
        will see them."""
        z = self.h_a(y.float()) if z is None else z
        return self._hs()(self.prior.encode(z, writer))

    def decode(self, z_shape: tuple[int, int, int, int], reader: RansReader) -> torch.Tensor:
        return self._hs()(self.prior.decode(z_shape, reader))
