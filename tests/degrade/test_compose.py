"""The composition layer: one generator threaded through Sequence / OneOf / Shuffled, replayable params."""
from __future__ import annotations

from dataclasses import dataclass

import pytest
import torch

from restore.degrade.blur import GaussianBlur
from restore.degrade.compose import (Identity, Clip, Op, OneOf, Sequence, Shuffled, coin, draw, maybe, same, seeded,
                                     uniform)
from restore.degrade.noise import GaussianNoise

from .contract import check_op


@dataclass(frozen=True)
class Affine(Op):
    """x → a·x + b (no randomness): the order of affine ops shows in the output."""
    a: float
    b: float

    def apply(self, x, params=None):
        return self.a * x + self.b


def _img(seed: int = 0) -> torch.Tensor:
    return torch.rand(3, 24, 32, generator=torch.Generator().manual_seed(seed))


def test_seeded_generators_repeat_per_key():
    a, b, c = seeded("set", "img.png", 25), seeded("set", "img.png", 25), seeded("set", "img.png", 50)
    assert torch.equal(torch.rand(8, generator=a), torch.rand(8, generator=b))
    assert not torch.equal(torch.rand(8, generator=seeded("set", "img.png", 25)), torch.rand(8, generator=c))


def test_draw_helpers():
    g = torch.Generator().manual_seed(0)
    assert all(2.0 <= uniform(g, 2.0, 3.0) < 3.0 for _ in range(100))
    assert draw(g, 0.5) == 0.5 and 1.0 <= draw(g, (1.0, 2.0)) < 2.0
    assert not any(coin(g, 0.0) for _ in range(100)) and all(coin(g, 1.0) for _ in range(100))


def test_a_sequence_threads_one_generator_and_replays():
    x = _img()
    seq = Sequence(GaussianNoise((0.0, 0.2)), GaussianBlur((0.5, 2.0)))
    y, p = check_op(seq, x, seed=3)
    g = torch.Generator().manual_seed(3)                 # the same draws, taken by hand from one generator
    y1, p1 = seq.ops[0].run(x, g)
    y2, p2 = seq.ops[1].run(y1, g)
    assert torch.equal(y, y2) and same(p.steps, (p1, p2))
    assert not torch.equal(seq(x, torch.Generator().manual_seed(4)), y)
    assert [type(op) for op, _ in seq.ran(p)] == [GaussianNoise, GaussianBlur]
    assert seq.find(p, GaussianBlur) is p.steps[1] and seq.find(p, Clip) is None


def test_one_of_respects_its_probabilities():
    ops = (Affine(1, 0), Affine(1, 1), Affine(1, 2))
    one = OneOf(ops, (2, 5, 3))                           # normalised to 0.2, 0.5, 0.3
    assert one.probs == pytest.approx((0.2, 0.5, 0.3))
    g = torch.Generator().manual_seed(0)
    x = torch.zeros(1)
    picks = [one.run(x, g)[1].index for _ in range(2000)]
    for i, want in enumerate(one.probs):      # a fixed seed: deterministic; 0.03 is > 3 standard deviations
        assert picks.count(i) / 2000 == pytest.approx(want, abs=0.03)
    y, p = one.run(x, torch.Generator().manual_seed(1))
    assert float(y) == p.index and torch.equal(one.apply(x, p), y)
    never = OneOf(ops, (0, 1, 0))
    assert all(never.run(x, g)[1].index == 1 for _ in range(200))
    for bad in ((1, 1), (-1, 1, 1), (0, 0, 0)):
        with pytest.raises(ValueError, match="OneOf needs"):
            OneOf(ops, bad)


def test_maybe_and_find_of_a_branch_not_taken():
    op = maybe(GaussianNoise(0.1), 0.3)
    g = torch.Generator().manual_seed(0)
    x = _img()
    runs = [op.run(x, g) for _ in range(1000)]
    taken = [op.find(p, GaussianNoise) is not None for _, p in runs]
    assert sum(taken) / 1000 == pytest.approx(0.3, abs=0.045)
    for (y, p), t in zip(runs[:20], taken):
        assert (p.index == 0) == t and torch.equal(y, x) != t


def test_shuffled_runs_every_op_exactly_once_in_a_random_order():
    ops = (Affine(2, 0), Affine(1, 1), Affine(-1, 0))
    sh = Shuffled(*ops)
    x = torch.ones(1)
    orders = set()
    for seed in range(60):
        y, p = check_op(sh, x, seed)
        assert sorted(p.order) == [0, 1, 2] and len(p.steps) == 3
        assert [op for op, _ in sh.ran(p)] == [ops[i] for i in p.order]
        want = x
        for i in p.order:
            want = ops[i].apply(want)
        assert torch.equal(y, want)
        orders.add(p.order)
    assert len(orders) == 6                               # every order turns up


def test_nested_pipelines_replay_from_their_params():
    pipe = Sequence(OneOf((GaussianNoise(0.05), Identity())), Shuffled(GaussianBlur(1.0), Clip()), maybe(Clip(), 0.5))
    x = _img(1)
    for seed in range(5):
        check_op(pipe, x, seed)
    y, params = pipe.run_each(torch.stack([x, x]), torch.Generator().manual_seed(0))
    assert y.shape == (2, 3, 24, 32) and len(params) == 2
    assert torch.equal(pipe.apply(x, params[1]), y[1])
