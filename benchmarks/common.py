"""Helpers shared by the benchmark scripts: bench data location, timing, BENCHMARKS.md sections."""
from __future__ import annotations

import json
import os
import platform
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT.parent / "shared" / "data" / "bench"
BENCHMARKS_MD = ROOT / "BENCHMARKS.md"

__all__ = ["BENCH_DIR", "bench_images", "median_time", "write_section", "machine_line", "table", "record_run",
           "store_metrics"]


def bench_images(name: str) -> list[Path]:
    d = BENCH_DIR / name
    if not d.is_dir():
        raise SystemExit(f"benchmark set {d} not found (expected ../shared/data/bench beside the checkout)")
    return sorted(p for p in d.iterdir() if p.suffix.lower() in {".png", ".jpg", ".tif", ".bmp"})


def median_time(fn: Callable[[], object], runs: int = 5, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def interleaved_medians(fns: dict[str, Callable[[], object]], seconds: float = 6.0, min_runs: int = 5,
                        max_runs: int = 50, warmup: int = 1) -> dict[str, float]:
    """Median seconds per call of each function, timed in alternation (a, b, a, b, …) for about ``seconds``
    in all (at least ``min_runs`` rounds), so a slow spell of the machine hits every function alike."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {k: [] for k in fns}
    end = time.perf_counter() + seconds
    for rounds in range(max_runs):
        if rounds >= min_runs and time.perf_counter() >= end:
            break
        for k, fn in fns.items():
            t = time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - t)
    return {k: statistics.median(v) for k, v in times.items()}


def cpu_name() -> str:
    """The CPU's model name where /proc/cpuinfo gives it (else the machine type), e.g. "AMD EPYC (x86_64)"."""
    try:
        with open("/proc/cpuinfo") as f:
            name = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        name = ""
    arch = platform.processor() or platform.machine()
    return f"{name} ({arch})" if name else arch


def machine_line() -> str:
    import torch

    from restore.runtime import cpu_has_bf16

    return (f"{cpu_name()}, {os.cpu_count()} cores, torch {torch.__version__}, "
            f"{torch.get_num_threads()} threads, native bf16: {cpu_has_bf16()}")


def table(header: list[str], rows: list[list]) -> str:
    fmt = lambda v: f"{v:.2f}" if isinstance(v, float) else str(v)  # noqa: E731
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(fmt(v) for v in r) + " |" for r in rows]
    return "\n".join(lines)


def timed_cli(args: list[str], python: tuple[str, ...] = ("-m", "restore")) -> tuple[float, float]:
    """Run ``python -m restore *args`` (or ``python *python *args``) under ``/usr/bin/time -v``: (wall seconds,
    peak RSS in MiB) of the whole process; a failure stops the benchmark with the command's error line."""
    import subprocess

    from restore.runtime import child_environ

    t = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-v", sys.executable, *python, *args], capture_output=True, text=True,
                       env=child_environ())
    wall = time.perf_counter() - t
    if r.returncode:
        lines = r.stderr.strip().splitlines()
        raise SystemExit(f"restore {args[0]} failed: {next((x for x in lines if 'rror' in x), lines[0])}")
    rss = next(int(line.split()[-1]) for line in r.stderr.splitlines() if "Maximum resident" in line)
    return wall, rss / 1024


def write_section(key: str, body: str) -> None:
    """Replace (or append) the ``<!-- key:begin -->…<!-- key:end -->`` section of BENCHMARKS.md."""
    text = BENCHMARKS_MD.read_text() if BENCHMARKS_MD.exists() else "# Benchmarks\n"
    block = f"<!-- {key}:begin -->\n{body.rstrip()}\n<!-- {key}:end -->"
    pat = re.compile(rf"<!-- {re.escape(key)}:begin -->.*?<!-- {re.escape(key)}:end -->", re.S)
    text = pat.sub(lambda _: block, text) if pat.search(text) else text.rstrip() + "\n\n" + block + "\n"
    BENCHMARKS_MD.write_text(text)
    print(f"updated {BENCHMARKS_MD} [{key}]", file=sys.stderr)


def record_run(name: str, minutes: float, out: str, train: Callable[[], tuple], **extra) -> dict:
    """Train one recipe configuration from seed 0 (``train()`` returns model, trainer, facts), append its final
    validation record to the JSON-lines file ``out`` and return it."""
    import torch

    torch.manual_seed(0)
    t = time.time()
    model, trainer, _ = train()
    rec = {"config": name, "minutes": minutes, "steps": trainer.step, **extra,
           "params": sum(p.numel() for p in model.parameters()), **trainer.history[-1],
           "wall_s": round(time.time() - t, 1)}
    print(json.dumps(rec), flush=True)
    with open(out, "a") as f:
        f.write(json.dumps(rec) + "\n")
    return rec


def store_metrics(model: str, metrics: dict[str, float]) -> None:
    """Add measured numbers to a model's manifest entry (its card and ``restore models`` show them)."""
    from restore.weights import Manifest

    man = Manifest()
    entry, _ = man.resolve(model)
    entry.metrics.update({k: round(float(v), 3) for k, v in metrics.items()})
    man.save()
