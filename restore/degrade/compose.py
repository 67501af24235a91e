"""Composition of degradations, with one ``torch.Generator`` threaded through a whole pipeline.

A degradation is an :class:`Op`: ``sample(generator, x) -> params`` draws everything random (``x`` only gives
the shape and dtype) and ``apply(x, params) -> y`` is pure, so the same params give the same output (kornia's
``generate_parameters`` / ``apply_transform`` split). :class:`Sequence`, :class:`OneOf` and :class:`Shuffled`
combine ops; every node runs as ``run(x, generator) -> (y, params)`` and replays as ``apply(x, params)``, so a
pipeline is reproduced from its seed or from its params alike. Training recipes declare their pipelines from
these; synthetic benchmarks run the same ops with :func:`seeded` generators.
"""
from __future__ import annotations

import dataclasses
import zlib
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Optional

import torch

__all__ = ["seeded", "uniform", "coin", "draw", "same", "Op", "Identity", "Clip", "Sequence", "OneOf", "Shuffled",
           "maybe", "SequenceParams", "OneOfParams", "ShuffledParams"]


def seeded(*key) -> torch.Generator:
    """A torch generator seeded by the CRC32 of the key's parts joined by ``/``: the same draws on every run."""
    return torch.Generator().manual_seed(zlib.crc32("/".join(map(str, key)).encode()))


def uniform(generator: Optional[torch.Generator], lo: float, hi: float) -> float:
    """One draw from U[lo, hi): a float32 uniform, scaled in double precision."""
    return lo + (hi - lo) * float(torch.rand(1, generator=generator))


def coin(generator: Optional[torch.Generator], p: float) -> bool:
    """True with probability ``p`` (always one draw)."""
    return float(torch.rand(1, generator=generator)) < p


def draw(generator: Optional[torch.Generator], value):
    """``value`` itself when it is a number (or a tensor), else one uniform draw from the (lo, hi) pair."""
    if isinstance(value, (tuple, list)):
        lo, hi = value
        return uniform(generator, lo, hi)
    return value


def same(a: Any, b: Any) -> bool:
    """Whether two params (dataclasses, tuples, tensors, numbers) are equal, tensors element for element."""
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.shape == b.shape
                and a.dtype == b.dtype and torch.equal(a, b))
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return type(a) is type(b) and all(same(getattr(a, f.name), getattr(b, f.name))
                                          for f in dataclasses.fields(a))
    if isinstance(a, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same, a, b))
    return a == b


class Op:
    """One degradation. Subclasses define ``sample`` (all the randomness) and a pure ``apply``."""

    def sample(self, generator: Optional[torch.Generator], x: torch.Tensor) -> Any:
        return None

    def apply(self, x: torch.Tensor, params: Any) -> torch.Tensor:
        raise NotImplementedError

    def run(self, x: torch.Tensor, generator: Optional[torch.Generator] = None) -> tuple[torch.Tensor, Any]:
        """(output, params): sample, then apply."""
        params = self.sample(generator, x)
        return self.apply(x, params), params

    def __call__(self, x: torch.Tensor, generator: Optional[torch.Generator] = None) -> torch.Tensor:
        return self.run(x, generator)[0]

    def run_each(self, batch: torch.Tensor, generator: Optional[torch.Generator] = None) -> tuple[torch.Tensor,
                                                                                                   list]:
        """(stacked outputs, params per image): each image of an N×… batch in turn, with its own draws."""
        out = [self.run(x, generator) for x in batch]
        return torch.stack([y for y, _ in out]), [p for _, p in out]

    def ran(self, params: Any) -> Iterator[tuple["Op", Any]]:
        """The single ops that ran, with their params, in the order they ran."""
        yield self, params

    def find(self, params: Any, kind: type) -> Any:
        """The params of the first op of class ``kind`` that ran, or None when none did."""
        return next((p for op, p in self.ran(params) if isinstance(op, kind)), None)


@dataclass(frozen=True)
class Identity(Op):
    """Leaves the image as it is (the "nothing" branch of a :class:`OneOf`)."""

    def apply(self, x: torch.Tensor, params: Any = None) -> torch.Tensor:
        return x


@dataclass(frozen=True)
class Clip(Op):
    """Clips to [lo, hi], as an image file does."""
    lo: float = 0.0
    hi: float = 1.0

    def apply(self, x: torch.Tensor, params: Any = None) -> torch.Tensor:
        return x.clamp(self.lo, self.hi)


class _Node(Op):
    """A combination of ops: its params are only known by running it (later ops see earlier ops' output)."""

    def sample(self, generator: Optional[torch.Generator], x: torch.Tensor) -> Any:
        return self.run(x, generator)[1]


@dataclass(frozen=True, eq=False)
class SequenceParams:
    steps: tuple                 # each op's params, in order


class Sequence(_Node):
    """The ops one after the other."""

    def __init__(self, *ops: Op):
        self.ops = tuple(ops)

    def __repr__(self) -> str:
        return f"Sequence({', '.join(map(repr, self.ops))})"

    def run(self, x, generator=None):
        steps = []
        for op in self.ops:
            x, p = op.run(x, generator)
            steps.append(p)
        return x, SequenceParams(tuple(steps))

    def apply(self, x, params: SequenceParams):
        for op, p in zip(self.ops, params.steps):
            x = op.apply(x, p)
        return x

    def ran(self, params: SequenceParams):
        for op, p in zip(self.ops, params.steps):
            yield from op.ran(p)


@dataclass(frozen=True, eq=False)
class OneOfParams:
    index: int                   # which op ran
    params: Any                  # its params


class OneOf(_Node):
    """One of the ops, op ``i`` with probability ``probs[i]`` (normalised; equal when not given)."""

    def __init__(self, ops: Iterable[Op], probs: Optional[Iterable[float]] = None):
        self.ops = tuple(ops)
        p = [1.0] * len(self.ops) if probs is None else [float(v) for v in probs]
        if not self.ops or len(p) != len(self.ops) or min(p) < 0 or sum(p) <= 0:
            raise ValueError(f"OneOf needs one probability >= 0 per op, not all 0; got {p} for {len(self.ops)} ops")
        self.probs = tuple(v / sum(p) for v in p)

    def __repr__(self) -> str:
        return f"OneOf({list(self.ops)!r}, probs={self.probs})"

    def choose(self, generator: Optional[torch.Generator]) -> int:
        """The index of the op to run (one uniform draw; an op of probability 0 is never chosen)."""
        u = float(torch.rand(1, generator=generator, dtype=torch.float64))
        acc = 0.0
        for i, p in enumerate(self.probs):
            acc += p
            if u < acc and p > 0:
                return i
        return max(i for i, p in enumerate(self.probs) if p > 0)     # rounding at the top end

    def run(self, x, generator=None):
        i = self.choose(generator)
        y, p = self.ops[i].run(x, generator)
        return y, OneOfParams(i, p)

    def apply(self, x, params: OneOfParams):
        return self.ops[params.index].apply(x, params.params)

    def ran(self, params: OneOfParams):
        yield from self.ops[params.index].ran(params.params)


def maybe(op: Op, p: float) -> OneOf:
    """``op`` with probability ``p``, else nothing."""
    return OneOf((op, Identity()), (p, 1.0 - p))


@dataclass(frozen=True, eq=False)
class ShuffledParams:
    order: tuple                 # op indices in the order they ran
    steps: tuple                 # their params, in that order


class Shuffled(_Node):
    """All the ops, each exactly once, in a random order."""

    def __init__(self, *ops: Op):
        self.ops = tuple(ops)

    def __repr__(self) -> str:
        return f"Shuffled({', '.join(map(repr, self.ops))})"

    def run(self, x, generator=None):
        order = tuple(torch.randperm(len(self.ops), generator=generator).tolist())
        steps = []
        for i in order:
            x, p = self.ops[i].run(x, generator)
            steps.append(p)
        return x, ShuffledParams(order, tuple(steps))

    def apply(self, x, params: ShuffledParams):
        for i, p in zip(params.order, params.steps):
            x = self.ops[i].apply(x, p)
        return x

    def ran(self, params: ShuffledParams):
        for i, p in zip(params.order, params.steps):
            yield from self.ops[i].ran(p)
