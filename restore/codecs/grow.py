"""Widen a trained codec without losing what it learned (a warm start for a larger model).

The grown network computes exactly what the old one did: old channels keep their weights, new channels are
appended, and every weight that *reads* a new channel starts at zero, so the new channels only begin to matter
as training moves those weights. The weights that *produce* new channels keep their random initialisation, so
the new channels carry signal (and their readers get gradients) from the first step.

``grow_latent`` widens the latent (one extra channel slice, coded last); ``grow_channels`` widens the hidden
layers of the analysis and synthesis transforms; ``grow_depth`` and ``grow_fine`` deepen them with residual
bodies (at 1/8 and 1/4 resolution) whose output conv starts at zero, so each body starts as the identity.
``grow_levels`` adds quality levels below or above the trained ones (the old qualities code exactly as before).
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn

from restore.backbones.conv import ConvBody
from restore.codecs.model import CodecNet

__all__ = ["grow_channels", "grow_depth", "grow_fine", "grow_latent", "grow_levels", "grow_to"]


def _rebuilt(net: CodecNet, **changes) -> CodecNet:
    """A fresh ``CodecNet`` with ``net``'s architecture except ``changes`` (untrained; the caller copies weights)."""
    spec = dict(net.arch_spec[1])
    spec.update(slices=tuple(spec["slices"]), lambdas=tuple(spec["lambdas"]))
    spec.update(changes)
    return CodecNet(**spec)


def _baked(key: str, target: torch.Tensor) -> bool:
    """Whether ``key`` is baked entropy-coding state (CDF tables, scale thresholds), whose shape depends on the
    bake, not the architecture: copied as is and re-baked at export (the tables do not depend on ``y``)."""
    return target.numel() == 0 or key.startswith("context.gaussian.")


def _paste(new: torch.Tensor, old: torch.Tensor, dim: int = 0, at: int = 0, gap: int = 0) -> None:
    """Copy ``old`` into the leading block of ``new``; along ``dim``, old indexes from ``at`` on move up by
    ``gap`` and the ``gap`` slots left at ``at`` are zeroed (they are the weights that read inserted channels)."""
    src = [slice(0, s) for s in old.shape]
    dst = list(src)
    src[dim], dst[dim] = slice(0, at), slice(0, at)
    new[tuple(dst)] = old[tuple(src)]
    src[dim], dst[dim] = slice(at, old.shape[dim]), slice(at + gap, old.shape[dim] + gap)
    new[tuple(dst)] = old[tuple(src)]
    gap_slots = [slice(None)] * new.ndim
    gap_slots[dim] = slice(at, at + gap)
    new[tuple(gap_slots)] = 0


@torch.no_grad()
def grow_latent(net: CodecNet, latent: int) -> CodecNet:
    """A copy of ``net`` with ``latent`` channels: its slices plus one new slice of ``latent - old`` channels."""
    spec = dict(net.arch_spec[1])
    old = spec["latent"]
    if latent <= old:
        raise ValueError(f"can only widen the latent (it has {old} channels, asked for {latent})")
    add = latent - old
    grown = _rebuilt(net, latent=latent, slices=tuple(spec["slices"]) + (add,))
    state = grown.state_dict()
    # weights that read the latent (or, in the slice parameter nets, the latent-wide hyper features that open
    # their input) get zero columns for the new channels, inserted right after the old ones: the input dim
    reads_latent = {"g_s.0.weight": 0, "hyper.h_a.0.weight": 1}
    for key, value in net.state_dict().items():
        target = state[key]
        if _baked(key, target):
            state[key] = value.clone()
        elif key in reads_latent:
            _paste(target, value, dim=reads_latent[key], at=old, gap=add)
        elif key.startswith("context.params.") and key.endswith(".0.weight"):
            _paste(target, value, dim=1, at=old, gap=add)
        elif key in ("log_gain", "log_inv_gain"):
            _paste(target, value)
            target[:, old:] = value.mean(1, keepdim=True)
        else:                               # same shape, or widened outputs (the new rows keep their init)
            _paste(target, value)
    grown.load_state_dict(state)
    return grown


def _extrapolate(log_gain: torch.Tensor, old: torch.Tensor, new: torch.Tensor) -> torch.Tensor:
    """Each channel's least-squares line of log-gain over log λ (rows of ``log_gain`` at ``old``), read at ``new``."""
    x, xn = old.log(), new.log()
    xc = x - x.mean()
    slope = (xc[:, None] * (log_gain - log_gain.mean(0))).sum(0) / xc.pow(2).sum()
    return log_gain.mean(0) + (xn - x.mean())[:, None] * slope


@torch.no_grad()
def grow_levels(net: CodecNet, lambdas: tuple[float, ...]) -> CodecNet:
    """A copy of ``net`` with the quality levels of ``lambdas``, which must hold ``net``'s ladder as one run
    with new values below and/or above it. Old levels keep their gains and their quality numbers (levels added
    below get ``first_quality`` 0, -1, …); a new level's gains start on each channel's line of log-gain over
    log λ fitted to the old levels, so it starts near the rate its λ asks for."""
    old, new = tuple(net.lambdas), tuple(float(v) for v in lambdas)
    if len(old) < 2:
        raise ValueError("adding levels needs a model with at least 2 (their gains set the line to extend)")
    if any(b <= a for a, b in zip(new, new[1:])):
        raise ValueError("the RD weights of the levels must increase")
    at = next((i for i in range(len(new) - len(old) + 1)
               if all(math.isclose(a, b, rel_tol=1e-6) for a, b in zip(new[i:i + len(old)], old))), None)
    if at is None or len(new) == len(old):
        raise ValueError(f"new levels must extend the model's ladder {','.join(f'{v:g}' for v in old)} below or "
                         "above it")
    new = new[:at] + old + new[at + len(old):]        # the old values exactly
    grown = _rebuilt(net, lambdas=new, first_quality=net.first_quality - at)
    state = grown.state_dict()
    for key, value in net.state_dict().items():
        if key in ("log_gain", "log_inv_gain"):
            state[key] = _extrapolate(value, torch.tensor(old), torch.tensor(new))
            state[key][at:at + len(old)] = value
        else:
            state[key] = value.clone()
    grown.load_state_dict(state)
    return grown


def _reads_dim(module: nn.Module) -> int | None:
    """The input-channel dim of a layer's weight (ConvTranspose stores in×out, Conv out×in); None: not a conv."""
    if isinstance(module, nn.ConvTranspose2d):
        return 0
    if isinstance(module, nn.Conv2d):
        return 1
    return None


@torch.no_grad()
def grow_channels(net: CodecNet, channels: int) -> CodecNet:
    """A copy of ``net`` whose transforms have ``channels`` hidden channels (the latent and entropy model keep
    their sizes). GDN's new cross terms start at zero (its own initialisation), so old channels are normalised
    exactly as before."""
    spec = dict(net.arch_spec[1])
    old = spec["channels"]
    if channels <= old:
        raise ValueError(f"can only widen the transforms (they have {old} channels, asked for {channels})")
    if any(isinstance(m, ConvBody) for side in (net.g_a, net.g_s) for m in side):    # at either resolution
        raise ValueError("widening transforms with residual blocks is not supported")
    grown = _rebuilt(net, channels=channels)
    grown_state = grown.state_dict()
    for key, value in net.state_dict().items():
        if _baked(key, grown_state[key]):
            grown_state[key] = value.clone()
        else:
            _paste(grown_state[key], value)
    grown.load_state_dict(grown_state)
    for side in ("g_a", "g_s"):
        for new_layer, old_layer in zip(getattr(grown, side), getattr(net, side)):
            dim = _reads_dim(new_layer)
            if dim is None or new_layer.weight.shape[dim] == old_layer.weight.shape[dim]:
                continue
            # old outputs must not read the new inputs; new outputs may read anything
            w = new_layer.weight
            outs = old_layer.weight.shape[1 - dim]
            reads_new = [slice(None)] * w.ndim
            reads_new[dim] = slice(old_layer.weight.shape[dim], None)
            reads_new[1 - dim] = slice(0, outs)
            w[tuple(reads_new)] = 0
    return grown


def _same_layer(a: nn.Module, b: nn.Module) -> bool:
    """Whether ``b``'s weights load into ``a`` (same type, same parameter shapes)."""
    return type(a) is type(b) and [t.shape for t in a.state_dict().values()] == \
        [t.shape for t in b.state_dict().values()]


def _deepen(net: CodecNet, key: str, blocks: int, where: str) -> CodecNet:
    """A copy of ``net`` with ``blocks`` residual blocks in the transforms' ``key`` body (at ``where``
    resolution), which it must not have yet. The new bodies' closing convs start at zero; every other weight
    is the old model's."""
    have = net.arch_spec[1].get(key)
    if have:
        raise ValueError(f"the transforms already have {have} residual blocks at {where} resolution")
    if blocks <= 0:
        raise ValueError(f"can only add residual blocks (asked for {blocks})")
    grown = _rebuilt(net, **{key: blocks})
    for side in ("g_a", "g_s"):
        old = list(getattr(net, side))
        for layer in getattr(grown, side):
            if old and _same_layer(layer, old[0]):     # bodies never sit side by side, so this pairs them right
                layer.load_state_dict(old.pop(0).state_dict())
            elif isinstance(layer, ConvBody):
                nn.init.zeros_(layer.fuse.weight)
                nn.init.zeros_(layer.fuse.bias)
            else:
                raise AssertionError(f"{side}: no old layer for {layer}")
        assert not old, f"{side}: {len(old)} old layers left over"
    # everything outside the transforms (entropy model, gains) is unchanged: a strict load of the old values
    state = grown.state_dict()
    state.update((k, v) for k, v in net.state_dict().items() if not k.startswith(("g_a.", "g_s.")))
    grown.load_state_dict(state)
    return grown


def grow_depth(net: CodecNet, res_blocks: int) -> CodecNet:
    """A copy of ``net`` whose transforms carry a residual body of ``res_blocks`` blocks at 1/8 resolution
    (``gdn`` transform's ``res_blocks``), each starting as the identity (see ``_deepen``)."""
    return _deepen(net, "res_blocks", res_blocks, "1/8")


def grow_fine(net: CodecNet, fine_blocks: int) -> CodecNet:
    """A copy of ``net`` whose transforms carry a residual body of ``fine_blocks`` blocks at 1/4 resolution
    (``gdn`` transform's ``fine_blocks``), each starting as the identity (see ``_deepen``)."""
    return _deepen(net, "fine_blocks", fine_blocks, "1/4")


def grow_to(net: CodecNet, latent: int | None = None, channels: int | None = None, res_blocks: int | None = None,
            fine_blocks: int | None = None, lambdas: tuple[float, ...] | None = None) -> tuple[CodecNet, str]:
    """``net`` grown to every size given (None or its own size: unchanged) and the note the manifest records
    ("channels 96 → 192, …"). ``lambdas`` with as many values as ``net`` has levels re-targets them (the gain
    vectors keep training); a longer ladder that contains ``net``'s adds levels below or above. A ValueError says
    why a growth is impossible."""
    def short(value) -> str:
        return ",".join(f"{v:g}" for v in value) if isinstance(value, (tuple, list)) else str(value)

    spec = net.arch_spec[1]
    grows = [("latent", latent, net.context.channels, grow_latent),
             ("channels", channels, spec["channels"], grow_channels),
             ("residual blocks", res_blocks, spec.get("res_blocks", 0), grow_depth),
             ("fine residual blocks", fine_blocks, spec.get("fine_blocks", 0), grow_fine)]
    retarget = lambdas is not None and len(lambdas) == net.levels
    if lambdas is not None and not retarget:
        grows.append(("quality levels", tuple(lambdas), net.lambdas, grow_levels))
    notes = []
    for name, want, have, grow in grows:
        if want is None or want == have:
            continue
        net = grow(net, want).train()
        notes.append(f"{name} {short(have)} → {short(want)}")
    if retarget:
        net.lambdas = tuple(lambdas)
        net.arch_spec[1]["lambdas"] = list(lambdas)
    return net, ", ".join(notes)
