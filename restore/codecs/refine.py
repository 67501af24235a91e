"""Encoder-side search for better latents (``restore encode --effort``): the decoder stays as it is.

The analysis transform guesses a tile's latents in one pass. Higher efforts start from that guess and take
gradient steps on the shipped model's own rate-distortion objective for *this* tile: the rate of ``y`` and
``z`` under the same hyperprior and context model the coder uses (their float counterparts), the distortion
as RGB MSE through the synthesis transform, weighted by the λ of the coded quality. Rounding is relaxed so
gradients flow: stochastic Gumbel annealing (Yang, Bamler and Mandt, NeurIPS 2020) draws a soft choice
between the floor and the ceiling that hardens as its temperature falls, or the straight-through variant
rounds outright. The coder then codes the refined latents exactly as it codes the analysis transform's, so
files keep format version 2 and decode with any decoder.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Optional

import torch

from restore.codecs.entropy import ste_round
from restore.codecs.model import CodecNet, rd_terms
from restore.runtime import autocast

__all__ = ["Effort", "EFFORTS", "MAX_EFFORT", "sga_round", "noise_round", "lambda_at", "rd_objective", "refine_latents"]


@dataclass(frozen=True)
class Effort:
    """How hard one effort level searches: Adam ``steps`` at learning rate ``lr`` on the objective with
    ``lam_scale`` × the quality's λ, with ``rounding`` "sga" (temperature falling geometrically from ``tau``
    to ``tau_end`` over the steps), "noise" (additive uniform noise, the training proxy), "noise-sga" (noise
    for the first ``switch`` of the steps, then SGA where its temperature has fallen to) or "ste"
    (straight-through rounding). ``guard``: code the starting latents when the search ends worse by the
    hard-rounded objective (two more synthesis passes, which a short search cannot afford)."""
    steps: int
    lr: float = 0.005
    rounding: str = "noise-sga"
    lam_scale: float = 1.0
    tau: float = 0.5
    tau_end: float = 0.05
    switch: float = 0.5
    guard: bool = True


# Level 1 is the single analysis pass (no search). The others were chosen on a held-out training photo, not
# on Kodak (BENCHMARKS.md, "Codec: choosing the encoder-effort settings"): a few steps of the noise proxy at a
# high learning rate gain most per step, with λ raised so that they buy rate without sliding down the curve;
# long searches gain most with the noise proxy first and annealed rounding after. Levels 2 and 3 fit in 5× and
# 10× the time of level 1; level 5 in 300 s for a Kodak image on two cores.
EFFORTS: dict[int, Optional[Effort]] = {
    1: None,
    2: Effort(steps=2, lr=0.015, rounding="noise", lam_scale=1.5, guard=False),
    3: Effort(steps=4, lr=0.015, rounding="noise", lam_scale=1.5, guard=False),
    4: Effort(steps=40),
    5: Effort(steps=160),
}
MAX_EFFORT = max(EFFORTS)


def sga_round(v: torch.Tensor, tau: float, generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """Stochastic Gumbel annealing: a relaxed random pick between ⌊v⌋ and ⌈v⌉, favouring the nearer one
    (log-odds atanh of the distance over ``tau``), through a Gumbel-softmax at temperature ``tau``.
    Differentiable in ``v``; as ``tau`` → 0 it becomes rounding to the nearer integer."""
    lo = torch.floor(v).detach()
    r = (v - lo).clamp(1e-4, 1 - 1e-4)
    logits = torch.stack([-torch.atanh(r), -torch.atanh(1 - r)], -1) / tau
    u = torch.rand(logits.shape, generator=generator, dtype=logits.dtype).clamp(1e-9, 1 - 1e-9)
    w = torch.softmax((logits - torch.log(-torch.log(u))) / tau, -1)
    return lo + w[..., 1]


def noise_round(v: torch.Tensor, generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """The training proxy of rounding: ``v`` plus uniform noise in [−½, ½)."""
    return v + torch.rand(v.shape, generator=generator, dtype=v.dtype) - 0.5


def _quantiser(effort: Effort, step: int, generator: torch.Generator) -> Callable[[torch.Tensor], torch.Tensor]:
    """The relaxed rounding of search step ``step``."""
    rounding = effort.rounding
    if rounding == "noise-sga":
        rounding = "noise" if step < effort.switch * effort.steps else "sga"
    if rounding == "sga":
        tau = effort.tau * (effort.tau_end / effort.tau) ** (step / max(effort.steps - 1, 1))
        return lambda v: sga_round(v, tau, generator)
    if rounding == "noise":
        return lambda v: noise_round(v, generator)
    if rounding == "ste":
        return ste_round
    raise ValueError(f"unknown rounding {effort.rounding!r}")


def lambda_at(net: CodecNet, quality: float) -> float:
    """The rate-distortion weight a quality was trained with; fractional qualities interpolate log-linearly,
    as their gains do."""
    q = min(max(float(quality) - net.first_quality, 0.0), net.levels - 1)
    lo = min(int(math.floor(q)), net.levels - 2)
    t = q - lo
    return math.exp((1 - t) * math.log(net.lambdas[lo]) + t * math.log(net.lambdas[lo + 1]))


def rd_objective(net: CodecNet, x: torch.Tensor, y: torch.Tensor, z: torch.Tensor, inv_gain: torch.Tensor,
                 lam: float, quantise: Callable[[torch.Tensor], torch.Tensor],
                 valid: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(λ·255²·MSE + bpp, bpp, MSE) of coding latents ``y`` (gained) and ``z`` of the padded tile ``x`` with
    the relaxed rounding ``quantise``; distortion and bits per pixel count the ``valid`` (h, w) pixels only,
    so the search spends nothing on the padding."""
    med = net.hyper.prior.coded_medians
    z_hat = quantise(z - med) + med
    z_lik = net.hyper.prior.likelihood(z_hat)
    y_hat, y_lik = net.context(y, net.hyper.h_s(z_hat), quantise=quantise)
    h, w = valid
    x_hat = net.g_s(y_hat * inv_gain)[..., :h, :w]
    out = {"x_hat": x_hat, "likelihoods": {"y": y_lik, "z": z_lik}}
    loss, bpp, mse = rd_terms(out, x[..., :h, :w], torch.tensor([lam]))
    return loss[0], bpp[0], mse[0]


def refine_latents(net: CodecNet, x: torch.Tensor, features: torch.Tensor, quality: float, effort: Effort,
                   valid: tuple[int, int], precision: str = "fp32", seed: int = 0,
                   step_done: Optional[Callable[[int, torch.Tensor, torch.Tensor], None]] = None
                   ) -> tuple[torch.Tensor, torch.Tensor]:
    """Gained latents (``y``, ``z``) of the padded 1×3×H×W tile ``x`` after ``effort.steps`` steps from its
    analysis ``features``. Returns the starting latents instead when the search ends worse than it began
    (judged with hard rounding, when ``effort.guard``), so a long search never codes a tile worse by its own
    objective.
    Seeded: the same tile, machine and settings give the same latents (and so the same file). ``step_done`` is
    called after each step with the number of steps taken and the current ``y`` and ``z``."""
    gain, inv = net.gains(quality)
    lam = lambda_at(net, quality)
    if precision == "bf16":                 # oneDNN's bf16 convolutions are about 20 % faster channels-last
        x, features = (t.contiguous(memory_format=torch.channels_last) for t in (x, features))
    with torch.no_grad():
        y0 = features.float() * gain
        z0 = net.hyper.h_a(y0)
    y = y0.clone().requires_grad_(True)
    z = z0.clone().requires_grad_(True)
    opt = torch.optim.Adam([y, z], lr=effort.lr)
    gen = torch.Generator().manual_seed(seed)
    for step in range(effort.steps):
        with autocast(precision):
            loss, _, _ = rd_objective(net, x, y, z, inv, lam * effort.lam_scale, _quantiser(effort, step, gen),
                                      valid)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step_done:
            step_done(step + 1, y, z)
    if not effort.guard:
        return y.detach(), z.detach()
    with torch.no_grad(), autocast(precision):
        start = rd_objective(net, x, y0, z0, inv, lam, torch.round, valid)[0]
        end = rd_objective(net, x, y, z, inv, lam, torch.round, valid)[0]
    return (y.detach(), z.detach()) if float(end) < float(start) else (y0, z0)
