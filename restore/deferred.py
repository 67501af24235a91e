"""Deferred imports for a process that restore owns (the CLI): heavy dependencies load only when used.

A one-image ``restore decode`` spent 9 s of 11 starting up on a 2-core machine. Besides torch (2.5 s), it
paid for two imports the codec does not use on that path:

- ``import compressai`` imports every subpackage; its point-cloud datasets pull in torch_geometric, which
  imports ``torch._dynamo`` (4 s). The codec needs only the entropy models, GDN and the rANS extension.
- compressai's entropy models import ``scipy.stats`` (1.4 s) for one call made when CDF tables are built,
  which a decoder never does.

:func:`defer_heavy_imports` defers both. A program that imports restore as a library is left alone: the
stand-ins change when third-party code runs, which only a process that runs nothing else can allow.
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import Any

__all__ = ["defer_heavy_imports", "defer_module", "defer_package"]


class _Deferred(types.ModuleType):
    """A module whose code has not run: the first read of an attribute it lacks runs it into this module.
    Its import attributes (``__spec__``, ``__path__``, …) are set already, so the import system can find it,
    and its submodules, without running it; the standard library's ``LazyLoader`` cannot do that before
    Python 3.12 (an ``import`` statement reads ``__spec__`` and so loads the module)."""

    _submodules = False

    def __getattr__(self, name: str) -> Any:
        if self._submodules and not name.startswith("__") \
                and importlib.util.find_spec(f"{self.__name__}.{name}") is not None:
            return importlib.import_module(f"{self.__name__}.{name}")
        self.__class__ = types.ModuleType
        try:
            self.__spec__.loader.exec_module(self)
        except BaseException:
            sys.modules.pop(self.__name__, None)       # as a failed import leaves it
            raise
        return getattr(self, name)


class _DeferredPackage(_Deferred):
    """A package whose ``__init__`` has not run: a submodule import loads just that submodule."""

    _submodules = True


def _install(name: str, kind: type[_Deferred], answers: dict[str, Any] | None = None) -> bool:
    if name in sys.modules:
        return False
    try:
        spec = importlib.util.find_spec(name)
    except ImportError:
        return False
    if spec is None or spec.loader is None or (kind is _DeferredPackage and spec.submodule_search_locations is None):
        return False
    module = importlib.util.module_from_spec(spec)
    module.__class__ = kind
    for key, value in (answers or {}).items():
        setattr(module, key, value)
    sys.modules[name] = module
    return True


def defer_package(name: str, answers: dict[str, Any] | None = None) -> bool:
    """Put a stand-in for package ``name`` in ``sys.modules`` that skips its ``__init__`` until an attribute
    other than a submodule or one of ``answers`` is read. True when installed; False when the package is
    imported already, is not installed or is not a package."""
    return _install(name, _DeferredPackage, answers)


def defer_module(name: str) -> bool:
    """Put a stand-in for module ``name`` in ``sys.modules`` that runs its code at the first attribute read.
    True when installed; False when it is imported already or not installed."""
    return _install(name, _Deferred)


def _ans_coder() -> str:
    return "ans"


def _ans_only() -> list[str]:
    return ["ans"]


def defer_heavy_imports() -> None:
    """Defer compressai's package ``__init__`` and ``scipy.stats`` (see the module docstring).

    compressai's entropy models read the package's ``available_entropy_coders`` and ``get_entropy_coder``
    when built; the stand-in answers them with the package's default, its rANS coder.
    """
    defer_package("compressai", {"available_entropy_coders": _ans_only, "get_entropy_coder": _ans_coder})
    defer_module("scipy.stats")
