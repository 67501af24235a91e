"""Channel-slice + checkerboard context model for the main latent ``y``.

``y`` is split into channel slices coded one after another; each slice is coded in two checkerboard passes
(anchors, then the rest). A slice's Gaussian parameters come from a 1×1-conv network fed with the hyperprior
features, every earlier decoded slice, and (second pass) a 5×5 conv over the slice's decoded anchors.
During training the same networks run in float; for coding they run in exact fixed point (``FixedNet``).
"""
from __future__ import annotations

from typing import Callable, Optional

import torch
import torch.nn as nn

from restore.codecs.entropy import GaussianConditional, RansReader, RansWriter, ste_round
from restore.codecs.fixedpoint import FRAC, FixedConv, FixedNet

__all__ = ["anchor_mask", "SliceContext"]


def anchor_mask(h: int, w: int) -> torch.Tensor:
    """Boolean H×W checkerboard: True where (row + col) is even (the first-pass "anchors")."""
    r = torch.arange(h).view(-1, 1)
    c = torch.arange(w).view(1, -1)
    return (r + c) % 2 == 0


def _param_net(cin: int, cout: int, hidden: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, hidden, 1), nn.ReLU(), nn.Conv2d(hidden, hidden, 1), nn.ReLU(),
                         nn.Conv2d(hidden, 2 * cout, 1))


class SliceContext(nn.Module):
    """Gaussian parameters for ``y`` from hyper features, earlier slices and a checkerboard context."""

    def __init__(self, slices: tuple[int, ...], hyper_channels: int, hidden: int = 160):
        super().__init__()
        self.slices = tuple(slices)
        self.ctx = nn.ModuleList(nn.Conv2d(c, 2 * c, 5, padding=2) for c in self.slices)
        self.params = nn.ModuleList(
            _param_net(hyper_channels + sum(self.slices[:i]) + 2 * c, c, hidden) for i, c in enumerate(self.slices))
        self.gaussian = GaussianConditional()
        self._fixed: list | None = None

    @property
    def channels(self) -> int:
        return sum(self.slices)

    def _split(self, y: torch.Tensor) -> list[torch.Tensor]:
        return list(torch.split(y, self.slices, dim=1))

    # -- training ---------------------------------------------------------------------------------------------
    def forward(self, y: torch.Tensor, hyper: torch.Tensor,
                quantise: Optional[Callable[[torch.Tensor], torch.Tensor]] = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(``y_hat``, likelihoods of ``y``). By default ``y_hat`` is rounded straight-through and the
        likelihoods are those of ``y`` plus uniform noise in training mode, of the rounded ``y`` otherwise.
        ``quantise`` (a function of the residual ``y − mean``, such as the encoder's annealed soft rounding)
        replaces both: ``y_hat = mean + quantise(y − mean)`` and the likelihoods are those of ``y_hat``."""
        anchors = anchor_mask(*y.shape[-2:]).to(y.device)
        q = ste_round if quantise is None else quantise
        done: list[torch.Tensor] = []
        liks = []
        for i, ys in enumerate(self._split(y)):
            zeros = torch.zeros(ys.shape[0], 2 * ys.shape[1], *ys.shape[-2:], device=y.device, dtype=y.dtype)
            mean_a, scale_a = self.params[i](torch.cat([hyper, *done, zeros], 1)).chunk(2, 1)
            yh_a = q(ys - mean_a) + mean_a
            ctx = self.ctx[i](torch.where(anchors, yh_a, torch.zeros_like(yh_a)))
            mean_n, scale_n = self.params[i](torch.cat([hyper, *done, ctx], 1)).chunk(2, 1)
            mean = torch.where(anchors, mean_a, mean_n)
            scale = torch.where(anchors, scale_a, scale_n)
            yh = torch.where(anchors, yh_a, q(ys - mean_n) + mean_n)
            if quantise is not None:
                coded = yh
            elif self.training:
                coded = ys + torch.empty_like(ys).uniform_(-0.5, 0.5)
            else:
                coded = torch.round(ys - mean) + mean
            liks.append(self.gaussian.likelihood(coded, scale, mean))
            done.append(yh)
        return torch.cat(done, 1), torch.cat(liks, 1)

    # -- coding -----------------------------------------------------------------------------------------------
    def freeze(self) -> None:
        """Build the exact fixed-point networks (after the weights are final)."""
        self._fixed = [(FixedConv.from_conv(c), FixedNet(p)) for c, p in zip(self.ctx, self.params)]

    def _nets(self) -> list:
        if self._fixed is None:
            self.freeze()
        return self._fixed

    def _pass(self, net: FixedNet, inputs: list[torch.Tensor], ctx: torch.Tensor, where: torch.Tensor):
        """Means and table indexes at the positions ``where`` (``ctx``: the context features there, B×2c×K).
        The parameter network is all 1×1 convs, so it runs on just those positions' columns."""
        cols = torch.cat([*(t[..., where] for t in inputs), ctx], 1).unsqueeze(-1)
        mean, scale = net(cols).squeeze(-1).chunk(2, 1)
        return mean, self.gaussian.indexes(scale)

    def code(self, hyper: torch.Tensor, shape: tuple[int, int, int, int], *, y: torch.Tensor | None = None,
             writer: RansWriter | None = None, reader: RansReader | None = None) -> torch.Tensor:
        """Encode ``y`` (with ``writer``) or decode (with ``reader``); returns ``y_hat`` in fixed point.

        Encoder and decoder run this same function, so every mean and table index they use is identical.
        """
        b, _, h, w = shape
        anchors = anchor_mask(h, w)
        k = self.ctx[0].kernel_size[0]
        odd_taps = ~anchor_mask(k, k)       # the taps that reach anchors from a non-anchor position
        done: list[torch.Tensor] = []
        ys_list = self._split(y.double()) if y is not None else [None] * len(self.slices)
        for i, (c, ys) in enumerate(zip(self.slices, ys_list)):
            ctx_net, par_net = self._nets()[i]
            yh = torch.zeros(b, c, h, w, dtype=torch.float64)
            ctx = torch.zeros(b, 2 * c, int(anchors.sum()), dtype=torch.float64)
            for where in (anchors, ~anchors):
                mean, idx = self._pass(par_net, [hyper, *done], ctx, where)
                if writer is not None:
                    sym = torch.round(ys[..., where] - mean * 2.0 ** -FRAC)
                    writer.write(sym, idx, self.gaussian.table)
                else:
                    sym = reader.read(idx, self.gaussian.table)
                yh[..., where] = sym * 2.0 ** FRAC + mean
                if where is anchors:
                    ctx = ctx_net.at(yh, ~anchors, odd_taps)
            done.append(yh)
        return torch.cat(done, 1)
