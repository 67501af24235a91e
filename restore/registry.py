"""Name → builder registries for backbones, heads and whole networks, shared by every task and codec.

Builders register themselves when their module is imported; lookups import the known modules
lazily, so ``import restore`` stays cheap. A typo is an error that lists the known names.

A registered network class records the arguments it was built with (``arch_spec``: its name and every
argument, defaults included, as plain JSON values: what the manifest stores to rebuild it) and must declare a
:class:`Descriptor`, the facts tiling and precision choices need; a network without one fails when it is built.
"""
from __future__ import annotations

import functools
import importlib
import inspect
from dataclasses import dataclass
from typing import Any, Callable, Dict, Generic, TypeVar

import torch.nn as nn

__all__ = ["Registry", "Descriptor", "BACKBONES", "HEADS", "ARCHS", "register_arch", "build_backbone", "build_head"]


@dataclass(frozen=True)
class Descriptor:
    """What a network states about itself (spandrel's ModelDescriptor / SizeRequirements, stricter)."""

    radius: int                  # receptive radius in input pixels: tiles overlapping by this equal one tile
    multiple: int                # tile sides and positions must be multiples of this
    scales: tuple[int, ...]      # output/input size ratios it can produce ((1,) for restoration)
    in_channels: int             # colour channels of its image input
    bf16_safe: bool              # bf16 autocast keeps its results within tolerance of fp32
    bytes_per_pixel: float       # activation bytes per input pixel (fp32), for --tile auto

    def __post_init__(self) -> None:
        if self.radius < 0 or self.multiple < 1 or not self.scales or self.bytes_per_pixel <= 0:
            raise ValueError(f"implausible descriptor {self}")


def _plain(v: Any) -> Any:
    """A JSON-able copy: tuples become lists, recursively (the manifest is JSON)."""
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    return v


def recording(name: str, cls: type) -> type:
    """Make ``cls`` record its build arguments as ``arch_spec`` and check its :class:`Descriptor` when an
    instance of exactly that class is built (subclasses record their own, if registered)."""
    init = cls.__init__
    sig = inspect.signature(init)

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        init(self, *args, **kwargs)
        if type(self) is not cls:
            return
        bound = sig.bind(self, *args, **kwargs)
        bound.apply_defaults()
        self.arch_spec = (name, {k: _plain(v) for k, v in list(bound.arguments.items())[1:]})
        if not isinstance(getattr(self, "descriptor", None), Descriptor):
            raise TypeError(f"architecture {name!r} ({cls.__name__}) does not declare its Descriptor")

    cls.__init__ = __init__
    return cls

T = TypeVar("T", bound=Callable[..., nn.Module])


class Registry(Generic[T]):
    """A named collection of builders with lazy import of the modules that fill it."""

    def __init__(self, kind: str, modules: tuple[str, ...]):
        self.kind = kind
        self._modules = modules
        self._builders: Dict[str, T] = {}
        self._loaded = False

    def register(self, name: str, record: bool = False) -> Callable[[T], T]:
        """Decorator adding a builder under ``name``; ``record``: a network class that records its build
        arguments and declares a :class:`Descriptor` (see :func:`recording`)."""
        def deco(fn: T) -> T:
            if name in self._builders and self._builders[name] is not fn:
                raise KeyError(f"{self.kind} {name!r} is registered twice")
            self._builders[name] = recording(name, fn) if record else fn
            return fn
        return deco

    def _load(self) -> None:
        if not self._loaded:
            for mod in self._modules:
                importlib.import_module(mod)
            self._loaded = True

    def names(self) -> list[str]:
        self._load()
        return sorted(self._builders)

    def get(self, name: str) -> T:
        self._load()
        try:
            return self._builders[name]
        except KeyError:
            raise KeyError(f"unknown {self.kind} {name!r}; known: {', '.join(self.names())}") from None

    def build(self, name: str, **kwargs) -> nn.Module:
        return self.get(name)(**kwargs)


BACKBONES: Registry = Registry("backbone", ("restore.backbones.conv", "restore.backbones.transformer"))
HEADS: Registry = Registry("head", ("restore.layers.upsample",))
# whole networks as named in the weights manifest (``arch`` + ``kwargs``)
ARCHS: Registry = Registry("architecture", ("restore.archs.srnet", "restore.archs.sranynet", "restore.archs.denoisenet", "restore.archs.dejpegnet",
                                             "restore.archs.demosaicnet", "restore.archs.globalnet",
                                             "restore.archs.burstnet", "restore.codecs.model"))


def register_arch(name: str) -> Callable[[type], type]:
    """Register a whole network (what a manifest entry's ``arch`` names): it records its build arguments and
    must declare its :class:`Descriptor`."""
    return ARCHS.register(name, record=True)


def build_backbone(name: str, **kwargs) -> nn.Module:
    """Build a registered backbone body by name."""
    return BACKBONES.build(name, **kwargs)


def build_head(name: str, **kwargs) -> nn.Module:
    """Build a registered head (tail) by name."""
    return HEADS.build(name, **kwargs)
