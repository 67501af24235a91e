"""CPU runtime choices: the C heap kept for reuse (in a child process: the setting is process-wide)."""
from __future__ import annotations

import ctypes
import ctypes.util
import json
import subprocess
import sys
import types

import pytest


def _glibc():
    """The C library where it is glibc with ``mallopt`` and ``mallinfo2`` (2.33+), else None."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "mallinfo2") else None


needs_glibc = pytest.mark.skipif(_glibc() is None, reason="glibc's mallopt and mallinfo2")

# The heap's own counters, in a child process (mallopt is process-wide). A 64 MB block is over glibc's largest
# mmap threshold (32 MB): by default it is a fresh mapping (hblkhd) unmapped when freed; in a kept heap it is
# carved from the heap (arena) and stays there free (fordblks) for the next block. Counters, not page faults
# or seconds, so the machine's memory state cannot move the result. Reuse is checked with plain malloc: PyTorch
# allocates with posix_memalign, which in glibc 2.36 asks for a little more than the block, so the very next tensor
# of the same size may not fit the one just freed (benchmarks/heap.py shows the heap settling after a few).
HEAP = """
import ctypes, ctypes.util, json, sys
import torch
from restore.runtime import keep_heap

libc = ctypes.CDLL(ctypes.util.find_library("c"))
class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in
                "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]
libc.mallinfo2.restype = Info
libc.malloc.argtypes, libc.malloc.restype = [ctypes.c_size_t], ctypes.c_void_p
libc.free.argtypes, libc.free.restype = [ctypes.c_void_p], None

def info():
    i = libc.mallinfo2()
    return {"arena": i.arena, "used": i.uordblks, "free": i.fordblks, "mapped": i.hblkhd}

def cycle(alloc, free):
    before = info()
    block = alloc()
    held = info()
    free(block)
    del block                                   # a tensor's memory goes with its last reference
    return [before, held, info()]

out = {"kept": sys.argv[1] == "keep" and keep_heap()}
BLOCK = 64 << 20
out["torch"] = cycle(lambda: torch.empty(BLOCK // 4), lambda t: None)    # as a decode's activations come
out["malloc"] = cycle(lambda: libc.malloc(BLOCK), libc.free)
arena = info()["arena"]
p = libc.malloc(BLOCK)
libc.free(p)
q = libc.malloc(BLOCK)                          # the same size again
libc.free(q)
out["again"] = {"same_address": p == q, "arena_grew": info()["arena"] - arena}
print(json.dumps(out))
"""
MB = 1 << 20


def _heap(mode: str) -> dict:
    out = subprocess.run([sys.executable, "-c", HEAP, mode], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


@needs_glibc
def test_by_default_glibc_maps_a_large_block_afresh_and_unmaps_it_when_freed():
    out = _heap("default")
    assert out["kept"] is False
    for name in ("torch", "malloc"):
        before, held, after = out[name]
        assert held["mapped"] - before["mapped"] >= 64 * MB, (name, out[name])
        assert held["used"] - before["used"] < 64 * MB, (name, out[name])          # not from the heap
        assert after["mapped"] == before["mapped"], (name, out[name])             # handed back to the OS


@needs_glibc
def test_keep_heap_serves_large_blocks_from_the_heap_and_keeps_them_for_reuse():
    out = _heap("keep")
    assert out["kept"] is True
    for name in ("torch", "malloc"):
        before, held, after = out[name]
        assert held["mapped"] == before["mapped"], (name, out[name])              # no fresh mapping
        assert held["used"] - before["used"] >= 64 * MB, (name, out[name])         # but heap
        assert after["arena"] == held["arena"], (name, out[name])                 # none handed back on free
        assert after["free"] >= 64 * MB, (name, out[name])                        # kept free in the heap
    assert out["again"] == {"same_address": True, "arena_grew": 0}                # the next blocks reuse it


class _Fn:
    """A ctypes function stand-in: records its calls, takes argtypes and restype."""

    def __init__(self, name: str, calls: list, result: int = 1) -> None:
        self.name, self.calls, self.result = name, calls, result

    def __call__(self, *args):
        self.calls.append((self.name, *args))
        return self.result


@pytest.fixture
def fake_libc():
    """Points restore.runtime at a fake C library with keep_heap's cache emptied; the real state comes back after
    (the CLI tests run ``main``, which keeps this process's heap, in process)."""
    import restore.runtime as rt

    applied, real = rt.keep_heap.cache_info().currsize, rt._libc
    calls: list = []
    lib = types.SimpleNamespace(calls=calls, mallopt=_Fn("mallopt", calls), malloc_trim=_Fn("malloc_trim", calls))
    rt._libc = lambda: lib
    rt.keep_heap.cache_clear()
    try:
        yield lib
    finally:
        rt._libc = real
        rt.keep_heap.cache_clear()
        if applied:
            rt.keep_heap()


M_TRIM_THRESHOLD, M_MMAP_MAX = -1, -4       # glibc's malloc.h


def test_keep_heap_turns_mmap_and_trimming_off_once(fake_libc):
    from restore.runtime import keep_heap

    assert keep_heap() is True
    assert fake_libc.calls == [("mallopt", M_MMAP_MAX, 0), ("mallopt", M_TRIM_THRESHOLD, 2 ** 31 - 1)]
    assert fake_libc.mallopt.argtypes == [ctypes.c_int, ctypes.c_int] and fake_libc.mallopt.restype is ctypes.c_int
    assert keep_heap() is True and keep_heap() is True
    assert len(fake_libc.calls) == 2                # cached: applied once


def test_keep_heap_reports_false_where_mallopt_fails_or_is_absent(fake_libc):
    import restore.runtime as rt

    fake_libc.mallopt.result = 0                    # glibc's mallopt returns 0 on error
    assert rt.keep_heap() is False
    assert fake_libc.calls == [("mallopt", M_MMAP_MAX, 0)]
    for lib in (types.SimpleNamespace(), None):     # a C library without mallopt (macOS, musl); none found
        rt.keep_heap.cache_clear()
        rt._libc = lambda lib=lib: lib
        assert rt.keep_heap() is False


def test_trim_heap_trims_only_a_kept_heap(fake_libc):
    from restore.runtime import keep_heap, trim_heap

    trim_heap()                                     # keep_heap not called: the platform's heap, left alone
    assert fake_libc.calls == []
    keep_heap()
    del fake_libc.calls[:]
    trim_heap()
    trim_heap()
    assert fake_libc.calls == [("malloc_trim", 0), ("malloc_trim", 0)]
    assert fake_libc.malloc_trim.argtypes == [ctypes.c_size_t]


def test_shape_trim_trims_the_kept_heap_only_when_the_tile_shape_changes(monkeypatch):
    import restore.runtime as rt

    calls = []
    monkeypatch.setattr(rt, "trim_heap", lambda: calls.append(1))
    trim = rt.ShapeTrim()
    for shape in [(16, 16), (16, 16), (16, 12), (16, 12), (16, 16)]:
        trim(shape)
    assert len(calls) == 2


SMALL = """
import os, sys
import restore
from restore.runtime import small_pages
first = small_pages()
value = os.environ["THP_MEM_ALLOC_ENABLE"]
import torch
from restore.runtime import child_environ
print(first, value, small_pages(), child_environ().get("THP_MEM_ALLOC_ENABLE", "-"))
"""


@pytest.mark.parametrize("user,expected", [(None, "True 0 False -"), ("1", "False 1 False 1"),
                                                ("0", "False 0 False 0")])
def test_small_pages_turns_huge_pages_off_before_torch_unless_the_user_chose_and_children_see_their_choice(
        user, expected):
    import os

    env = {k: v for k, v in os.environ.items() if k != "THP_MEM_ALLOC_ENABLE"}
    if user is not None:
        env["THP_MEM_ALLOC_ENABLE"] = user
    out = subprocess.run([sys.executable, "-c", SMALL], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.split() == expected.split()


IMPORT_ONLY = """
import os
before = dict(os.environ)
import restore
after_restore = dict(os.environ) == before
import restore.runtime, restore.cli
after_cli_module = dict(os.environ) == before
import restore.api
print(after_restore, after_cli_module, dict(os.environ) == before, "THP_MEM_ALLOC_ENABLE" in os.environ)
"""


def test_importing_restore_leaves_the_environment_alone():
    """A library user gets PyTorch's own allocator default: only the CLI's entry point chooses huge pages."""
    import os

    env = {k: v for k, v in os.environ.items() if k != "THP_MEM_ALLOC_ENABLE"}
    out = subprocess.run([sys.executable, "-c", IMPORT_ONLY], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.split() == ["True", "True", "True", "False"]


CLI_PAGES = """
import os, sys
if sys.argv[1] == "torch-first":
    import torch
from restore.cli import main
from restore.runtime import child_environ
rc = main(["--version"])
print(rc, os.environ.get("THP_MEM_ALLOC_ENABLE", "-"), child_environ().get("THP_MEM_ALLOC_ENABLE", "-"),
      "torch" in sys.modules, file=sys.stderr)
"""


@pytest.mark.parametrize("user,order,expected", [(None, "cli-first", "0 1 - False"), ("0", "cli-first", "0 0 0 False"),
                                                 ("1", "cli-first", "0 1 1 False"),
                                                 (None, "torch-first", "0 1 - True")])
def test_cli_entry_point_turns_huge_pages_on_unless_the_user_chose(user, order, expected):
    import os

    env = {k: v for k, v in os.environ.items() if k != "THP_MEM_ALLOC_ENABLE"}
    if user is not None:
        env["THP_MEM_ALLOC_ENABLE"] = user
    out = subprocess.run([sys.executable, "-c", CLI_PAGES, order], capture_output=True, text=True, check=True,
                         env=env)
    assert "restore, version" in out.stdout
    assert out.stderr.strip().splitlines()[-1].split() == expected.split()
