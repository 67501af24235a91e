"""CPU runtime choices: thread count, whether bf16 autocast is worth using, and how the C heap behaves.

torch is imported where it is used: the CLI sets the heap and PyTorch's page size up before it knows whether a
command needs torch."""
from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import os
import sys
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    import torch

__all__ = ["cpu_has_bf16", "resolve_precision", "autocast", "run_at", "set_threads", "keep_heap", "trim_heap",
           "ShapeTrim", "huge_pages", "small_pages", "child_environ"]

_M_TRIM_THRESHOLD, _M_MMAP_MAX = -1, -4      # glibc mallopt parameters
_THP = "THP_MEM_ALLOC_ENABLE"                # PyTorch's CPU allocator: madvise its large blocks as huge pages
_thp_set_here = False                        # True once restore set _THP in this process (the user had not)


@functools.lru_cache(maxsize=1)
def _libc():
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None


@functools.lru_cache(maxsize=1)
def keep_heap() -> bool:
    """Make glibc keep freed memory for reuse instead of handing it back to the OS; True where it applied.

    By default glibc serves every block over 32 MB with a fresh ``mmap`` and unmaps it when freed, so each
    large activation of a full-resolution layer is page-faulted in again on every call. On a 768×512 image
    the codec's synthesis took 15-26K page faults and 2.1-2.9 s per call on a 2-core AVX2 machine; with the
    heap kept, after the first call, about none and 1.35-1.6 s. The price: the process keeps its peak heap
    until it exits. The CLI calls this; a long-lived program that codes many images may call it once.
    Elsewhere than glibc (macOS, Windows, musl) it does nothing and returns False.
    """
    mallopt = getattr(_libc(), "mallopt", None)
    if mallopt is None:
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(_M_MMAP_MAX, 0)) and bool(mallopt(_M_TRIM_THRESHOLD, 2 ** 31 - 1))


def trim_heap() -> None:
    """Hand the C heap's free pages back to the OS (glibc ``malloc_trim``), where :func:`keep_heap` applied;
    elsewhere do nothing."""
    if keep_heap.cache_info().currsize and keep_heap():
        trim = getattr(_libc(), "malloc_trim", None)
        if trim is not None:
            trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
            trim(0)


class ShapeTrim:
    """Call with each tile's shape before its work: the kept heap is trimmed when the shape changes.

    A kept heap reuses the blocks freed by a tile of the same shape, but blocks of other sizes fragment it
    (a 4K decode peaked at 3.5-5.4 GB instead of 1.9), so the free pages go back to the OS whenever the shape
    changes: the peak stays near one tile's working set, and only a change of shape faults pages in again.
    """

    def __init__(self) -> None:
        self.shape: tuple | None = None

    def __call__(self, shape: tuple) -> None:
        if self.shape is not None and shape != self.shape:
            trim_heap()
        self.shape = shape


def _set_thp(value: str) -> bool:
    """Set PyTorch's huge-page choice for this process unless the user made it; True where it applied."""
    global _thp_set_here
    if _THP in os.environ and not _thp_set_here:
        return False
    os.environ[_THP] = value
    _thp_set_here = True
    return True


def huge_pages() -> bool:
    """Put PyTorch's large CPU allocations on transparent huge pages for this process (``THP_MEM_ALLOC_ENABLE=1``)
    unless the user set ``THP_MEM_ALLOC_ENABLE``; True where it applied.

    The allocator then takes a fraction of the page faults on every fresh activation buffer (measured:
    out-of-place elementwise ops on 100 MB tensors 2× faster). PyTorch reads the variable at its first CPU
    allocation, so the CLI calls this first thing. ``import restore`` leaves the environment alone: a program
    using restore as a library gets PyTorch's own default, or sets the variable itself. A user's
    ``THP_MEM_ALLOC_ENABLE=0`` opts out.
    """
    return _set_thp("1")


def small_pages() -> bool:
    """Turn PyTorch's allocations on transparent huge pages (the CLI's default, :func:`huge_pages`) off for this
    process, unless the user set ``THP_MEM_ALLOC_ENABLE`` or torch is imported already; True where it applied.

    For jobs whose memory is mostly fresh. A decoder's activations grow from layer to layer, so each output
    is memory never used before; faulting it in as 2 MB pages cost a Kodak image's first decode 0.5-0.9 s
    more on a 2-core AVX2 VM (1.8-2.0 s instead of 2.3-2.9 s), and a 4K decode 53 s and 3.0 GB instead of
    45 s and 2.1 GB, while the reused memory of later decodes gained under 5 % from them. A 4K encode took
    38-39 s and 1.8-2.2 GB without them, 40-42 s and 2.2-2.6 GB with; a Kodak encode was the same either way.
    The codec's encode and decode commands call it before they import torch.
    """
    return "torch" not in sys.modules and _set_thp("0")


def child_environ() -> dict[str, str]:
    """``os.environ`` for a child process that should choose its memory settings as a fresh one would: without
    the ``THP_MEM_ALLOC_ENABLE`` that restore set (:func:`huge_pages`, :func:`small_pages`; the child would take it
    for the user's choice). A value the user set stays."""
    env = dict(os.environ)
    if _thp_set_here:
        env.pop(_THP, None)
    return env


@functools.lru_cache(maxsize=1)
def cpu_has_bf16() -> bool:
    """True when the CPU has native bf16 arithmetic (AVX512-BF16 or AMX).

    oneDNN also reports bf16 "supported" on plain AVX-512, where it emulates it several times slower than
    fp32, so on Linux the CPU flags decide; elsewhere oneDNN's answer is used.
    """
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), None)
        if flags is not None:
            return "avx512_bf16" in flags or "amx_bf16" in flags
    except OSError:
        pass
    import torch

    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def resolve_precision(precision: str) -> str:
    """'auto' → 'bf16' where the CPU has native bf16, else 'fp32'."""
    if precision not in ("auto", "bf16", "fp32"):
        raise ValueError(f"precision must be auto, bf16 or fp32, not {precision!r}")
    if precision == "auto":
        return "bf16" if cpu_has_bf16() else "fp32"
    return precision


def autocast(precision: str):
    """Context manager: bf16 autocast on the CPU for 'bf16', nothing for 'fp32'."""
    import torch

    if precision == "bf16":
        return torch.autocast("cpu", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def run_at(precision: str, fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """``fn(x)`` in inference mode at a resolved ``precision`` ('bf16': channels-last input under bf16
    autocast), returned as fp32."""
    import torch

    if precision == "bf16":
        x = x.contiguous(memory_format=torch.channels_last)
    with torch.inference_mode(), autocast(precision):
        return fn(x).float()


def set_threads(threads: int | None) -> None:
    import torch

    if threads:
        torch.set_num_threads(int(threads))
