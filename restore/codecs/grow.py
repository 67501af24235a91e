"""Widen a trained codec's latent without losing what it learned (a warm start for a larger model).

The grown network computes exactly what the old one did: the old latent channels keep their weights, the new
ones are appended as one extra channel slice (coded last), and every weight that *reads* a new channel starts
at zero, so the new channels only begin to matter as training moves those weights. The analysis side of the
new channels keeps its random initialisation, so they carry signal from the first step.
"""
from __future__ import annotations

import torch

from restore.codecs.model import CodecNet

__all__ = ["grow_latent"]


def _paste(new: torch.Tensor, old: torch.Tensor, dim: int | None = None, at: int = 0, gap: int = 0) -> None:
    """Copy ``old`` into the leading block of ``new``; along ``dim``, old indexes from ``at`` on move by ``gap``
    (the zeros of the gap are the weights that read inserted channels)."""
    if dim is None or gap == 0:
        new[tuple(slice(0, s) for s in old.shape)] = old
        return
    head = [slice(0, s) for s in old.shape]
    head[dim] = slice(0, at)
    new[tuple(head)] = old[tuple(head)]
    tail_new = [slice(0, s) for s in old.shape]
    tail_old = list(tail_new)
    tail_new[dim] = slice(at + gap, old.shape[dim] + gap)
    tail_old[dim] = slice(at, old.shape[dim])
    new[tuple(tail_new)] = old[tuple(tail_old)]
    inserted = [slice(None)] * new.ndim
    inserted[dim] = slice(at, at + gap)
    new[tuple(inserted)] = 0


@torch.no_grad()
def grow_latent(net: CodecNet, latent: int) -> CodecNet:
    """A copy of ``net`` with ``latent`` channels: its slices plus one new slice of ``latent - old`` channels."""
    spec = dict(net.arch_spec[1])
    old = spec["latent"]
    if latent <= old:
        raise ValueError(f"can only widen the latent (it has {old} channels, asked for {latent})")
    add = latent - old
    spec.update(latent=latent, slices=tuple(spec["slices"]) + (add,), lambdas=tuple(spec["lambdas"]))
    grown = CodecNet(**spec)
    state = grown.state_dict()
    reads_latent = {"g_s.0.weight": 0, "hyper.h_a.0.weight": 1}       # weights indexed by the latent as input
    for key, value in net.state_dict().items():
        target = state[key]
        if target.numel() == 0:             # baked CDF tables (re-baked at export; they do not depend on y)
            state[key] = value.clone()
        elif key in reads_latent:
            _paste(target, value)
            idx = [slice(None)] * target.ndim
            idx[reads_latent[key]] = slice(old, latent)
            target[tuple(idx)] = 0
        elif key.startswith("context.params.") and key.endswith(".0.weight"):
            # input = [hyper features (latent wide), earlier slices, context]: the hyper block widens
            _paste(target, value, dim=1, at=old, gap=add)
        elif key in ("log_gain", "log_inv_gain"):
            _paste(target, value)
            target[:, old:] = value.mean(1, keepdim=True)
        elif target.shape == value.shape:
            target.copy_(value)
        else:
            _paste(target, value)
    grown.load_state_dict(state)
    return grown
