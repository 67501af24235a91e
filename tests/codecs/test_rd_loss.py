"""The rate-distortion loss and the per-level balancing of the variable-rate training."""
from __future__ import annotations

import math

import pytest
import torch

from restore.recipes.codec import LevelBalance, rd_loss, rd_terms


def test_rd_terms_count_bits_per_pixel_and_weight_mse_by_lambda():
    x = torch.zeros(2, 3, 4, 8)
    x_hat = torch.full_like(x, 0.1)
    # every latent element has probability 1/4: 2 bits each, 16 elements per sample over 32 pixels → 1 bpp
    out = {"x_hat": x_hat, "likelihoods": {"y": torch.full((2, 4, 2, 2), 0.25)}}
    lam = torch.tensor([0.01, 0.1])
    per, bpp, mse = rd_terms(out, x, lam)
    assert torch.allclose(bpp, torch.ones(2)) and torch.allclose(mse, torch.full((2,), 0.01))
    assert torch.allclose(per, lam * 255 ** 2 * 0.01 + 1)
    assert math.isclose(float(rd_loss(out, x, lam)[0]), float(per.mean()), rel_tol=1e-6)


def test_level_balance_gives_each_level_the_same_pull():
    bal = LevelBalance(3, momentum=0.5)
    losses = torch.tensor([1.0, 10.0, 10.0], requires_grad=True)
    level = torch.tensor([0, 2, 2])
    loss = bal(losses, level)
    loss.backward()
    # level 0 (loss 1) and level 2 (loss 10) are weighted 5.5 and 0.55: each sample contributes 5.5
    assert torch.allclose(losses.grad, torch.tensor([5.5, 0.55, 0.55]) / 3)
    assert math.isclose(float(loss.detach()), 5.5, rel_tol=1e-6)
    assert bal.mean.tolist() == [1.0, 0.0, 10.0]              # unseen levels stay out of the average
    bal(torch.tensor([3.0]), torch.tensor([0]))               # running mean with momentum 0.5
    assert bal.mean.tolist() == [2.0, 0.0, 10.0]


def test_level_sampler_draws_levels_in_proportion_to_their_weights():
    from restore.recipes.codec import level_sampler

    torch.manual_seed(0)
    counts = torch.bincount(level_sampler(3, (0.0, 1.0, 3.0))(8000), minlength=3)
    assert counts[0] == 0 and 2.7 < counts[2] / counts[1] < 3.3
    assert set(level_sampler(4)(400).tolist()) == {0, 1, 2, 3}
    for bad in ((1.0, 2.0), (0.0, 0.0, 0.0), (1.0, -1.0, 1.0), (1.0, math.nan, 1.0)):
        with pytest.raises(ValueError, match="level weights must be 3 non-negative numbers"):
            level_sampler(3, bad)
