"""CPU runtime choices: thread count and whether bf16 autocast is worth using."""
from __future__ import annotations

import contextlib
import functools
from typing import Callable

import torch

__all__ = ["cpu_has_bf16", "resolve_precision", "autocast", "run_at", "set_threads"]


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
    if precision == "bf16":
        return torch.autocast("cpu", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def run_at(precision: str, fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """``fn(x)`` in inference mode at a resolved ``precision`` ('bf16': channels-last input under bf16
    autocast), returned as fp32."""
    if precision == "bf16":
        x = x.contiguous(memory_format=torch.channels_last)
    with torch.inference_mode(), autocast(precision):
        return fn(x).float()


def set_threads(threads: int | None) -> None:
    if threads:
        torch.set_num_threads(int(threads))
