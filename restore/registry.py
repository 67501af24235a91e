"""Name → builder registries for backbones and heads, shared by every task and codec.

Builders register themselves when their module is imported; lookups import the known modules
lazily, so ``import restore`` stays cheap. A typo is an error that lists the known names.
"""
from __future__ import annotations

import importlib
from typing import Callable, Dict, Generic, TypeVar

import torch.nn as nn

__all__ = ["Registry", "BACKBONES", "HEADS", "ARCHS", "build_backbone", "build_head"]

T = TypeVar("T", bound=Callable[..., nn.Module])


class Registry(Generic[T]):
    """A named collection of builders with lazy import of the modules that fill it."""

    def __init__(self, kind: str, modules: tuple[str, ...]):
        self.kind = kind
        self._modules = modules
        self._builders: Dict[str, T] = {}
        self._loaded = False

    def register(self, name: str) -> Callable[[T], T]:
        def deco(fn: T) -> T:
            if name in self._builders and self._builders[name] is not fn:
                raise KeyError(f"{self.kind} {name!r} is registered twice")
            self._builders[name] = fn
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
ARCHS: Registry = Registry("architecture", ("restore.tasks.srnet", "restore.tasks.sranynet", "restore.tasks.denoisenet",
                                             "restore.tasks.demosaicnet", "restore.tasks.globalnet",
                                             "restore.tasks.burstnet",
                                             "restore.codecs.model"))


def build_backbone(name: str, **kwargs) -> nn.Module:
    """Build a registered backbone body by name."""
    return BACKBONES.build(name, **kwargs)


def build_head(name: str, **kwargs) -> nn.Module:
    """Build a registered head (tail) by name."""
    return HEADS.build(name, **kwargs)
