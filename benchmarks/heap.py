"""What keeping the C heap saves: page faults and seconds of a large block made again and again.

    python -m benchmarks.heap                    # prints a table; writes nothing
    python -m benchmarks.heap --mb 256 --repeats 12

A child process per mode fills a fresh ``--mb`` MB tensor ``--repeats`` times (``torch.ones``, as a decode's
activations are made and dropped), once with the platform's heap and once after ``restore.runtime.keep_heap``
(what the CLI does): minor page faults and milliseconds per repetition, and glibc's heap size (``mallinfo2``
arena) after each. By default glibc maps every block over 32 MB afresh and unmaps it when freed, so each
repetition faults it in again; a kept heap faults it in once and reuses it. A kept heap may grow by a block
more than once before it settles: PyTorch allocates with ``posix_memalign``, which in glibc asks for a little
more than the block, so a freed block of exactly that size that is not at the top of the heap does not fit
the next request (the arena column shows it). PyTorch's allocator uses huge pages as the CLI sets it by
default; ``THP_MEM_ALLOC_ENABLE=0 python -m benchmarks.heap`` runs it as the codec commands do.

Page faults and timings depend on the machine's memory state (huge pages, other processes), so this is a
benchmark and not a test; ``tests/test_runtime.py`` checks the mechanism with the heap's own counters.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys

from benchmarks.common import machine_line, table
from restore.runtime import child_environ

CHILD = """
import ctypes, ctypes.util, json, resource, sys, time
from restore.runtime import huge_pages, keep_heap
huge_pages()                                     # as the CLI does, before torch reads it
import torch

mode, mb, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(1)
kept = mode == "kept" and keep_heap()
libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
info = getattr(libc, "mallinfo2", None)
if info is not None:
    class Info(ctypes.Structure):
        _fields_ = [(n, ctypes.c_size_t) for n in
                    "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]
    info.restype = Info
rows = []
for _ in range(repeats):
    faults, t = resource.getrusage(resource.RUSAGE_SELF).ru_minflt, time.perf_counter()
    x = torch.ones(mb << 18)                    # float32: mb MB
    del x
    t, faults = time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
    rows.append([faults, 1000 * t, info().arena >> 20 if info is not None else None])
print(json.dumps({"kept": kept, "rows": rows}))
"""


def measure(mode: str, mb: int, repeats: int) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, mode, str(mb), str(repeats)], capture_output=True,
                         text=True, check=True, env=child_environ())
    return json.loads(out.stdout)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=int, default=64, help="block size in MB (glibc maps blocks over 32 MB)")
    ap.add_argument("--repeats", type=int, default=8)
    a = ap.parse_args(argv)
    default, kept = measure("default", a.mb, a.repeats), measure("kept", a.mb, a.repeats)
    rows = [[i + 1, *d, *k] for i, (d, k) in enumerate(zip(default["rows"], kept["rows"]))]
    print(f"{machine_line()}. Command: `python -m benchmarks.heap --mb {a.mb} --repeats {a.repeats}`\n")
    if not kept["kept"]:
        print("keep_heap did not apply here (not glibc): both columns are the platform's heap\n")
    print(table(["repeat", "faults", "ms", "arena MB", "faults (kept)", "ms (kept)", "arena MB (kept)"], rows))


if __name__ == "__main__":
    main(sys.argv[1:])
