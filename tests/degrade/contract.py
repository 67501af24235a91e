"""The contract every degradation op keeps: the same seed gives the same params and output, and apply is pure."""
from __future__ import annotations

import torch

from restore.degrade.compose import Op, same


def check_op(op: Op, x: torch.Tensor, seed: int = 0):
    """Run ``op`` on ``x`` twice from one seed, then replay its params twice; returns (output, params)."""
    before = x.clone()
    y, p = op.run(x, torch.Generator().manual_seed(seed))
    y2, p2 = op.run(x, torch.Generator().manual_seed(seed))
    assert same(p, p2) and torch.equal(y, y2)                       # same seed → same params → same output
    assert torch.equal(op.apply(x, p), y) and torch.equal(op.apply(x, p), y)     # apply is pure
    assert torch.equal(x, before)                                   # and leaves its input alone
    return y, p


def params_over_seeds(sample, seeds: int = 200) -> list:
    """``sample(generator)`` for seeds 0..seeds-1, each checked to repeat from its seed."""
    out = []
    for s in range(seeds):
        p = sample(torch.Generator().manual_seed(s))
        assert same(p, sample(torch.Generator().manual_seed(s)))
        out.append(p)
    return out
