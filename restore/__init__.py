"""restore: image restoration and learned image compression, trained and run on the CPU.

The public names are imported lazily so ``import restore`` stays fast and one broken optional
dependency cannot break unrelated tasks.
"""
from __future__ import annotations

import importlib
import os
from typing import Any

# Large tensors on transparent huge pages: PyTorch's CPU allocator then takes a fraction of the page faults on
# every fresh activation buffer (measured: out-of-place elementwise ops on 100 MB tensors 2× faster). It only
# takes effect when restore is imported before torch (the CLI always is); set it to 0 to opt out. A command whose
# memory is mostly fresh turns it off again unless the user set it (restore.runtime.small_pages).
_THP_FROM_USER = "THP_MEM_ALLOC_ENABLE" in os.environ
os.environ.setdefault("THP_MEM_ALLOC_ENABLE", "1")

__version__ = "0.1.0"

_LAZY = {
    "Image": "restore.io", "read_image": "restore.io", "write_image": "restore.io",
    "load": "restore.api", "sr": "restore.api", "denoise": "restore.api", "demosaic": "restore.api",
    "dereflect": "restore.api", "derain": "restore.api", "dehaze": "restore.api", "desnow": "restore.api",
    "deweather": "restore.api", "fuse_burst": "restore.api", "list_models": "restore.api",
    "encode": "restore.api", "decode": "restore.api",
}
__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    mod = _LAZY.get(name)
    if mod is None:
        raise AttributeError(f"module 'restore' has no attribute {name!r}")
    value = getattr(importlib.import_module(mod), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
