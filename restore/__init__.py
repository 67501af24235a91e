"""restore: image restoration and learned image compression, trained and run on the CPU.

The public names are imported lazily so ``import restore`` stays fast and one broken optional
dependency cannot break unrelated tasks.
"""
from __future__ import annotations

from restore.lazy import lazy_exports

__version__ = "0.1.0"

_LAZY = {
    "Image": "restore.io", "read_image": "restore.io", "write_image": "restore.io",
    "load": "restore.api", "sr": "restore.api", "denoise": "restore.api", "dejpeg": "restore.api",
    "demosaic": "restore.api",
    "dereflect": "restore.api", "derain": "restore.api", "dehaze": "restore.api", "desnow": "restore.api",
    "deweather": "restore.api", "fuse_burst": "restore.api", "list_models": "restore.api",
    "encode": "restore.api", "decode": "restore.api",
}
__all__ = sorted(_LAZY)
__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
