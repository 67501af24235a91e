"""CPU runtime choices: the C heap kept for reuse (in a child process: the setting is process-wide)."""
from __future__ import annotations

import subprocess
import sys

import pytest

CHILD = """
import resource, sys, torch
from restore.runtime import keep_heap
if sys.argv[1] == "keep":
    assert keep_heap() and keep_heap()          # cached: applied once
faults = []
for _ in range(3):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    t = torch.ones(16 << 20)                     # 64 MB: above glibc's mmap threshold
    del t
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
print(*faults)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_keep_heap_reuses_large_blocks_instead_of_faulting_them_in_again():
    def faults(mode: str) -> list[int]:
        out = subprocess.run([sys.executable, "-c", CHILD, mode], capture_output=True, text=True, check=True)
        return [int(v) for v in out.stdout.split()]

    default = faults("default")
    assert min(default) > 100                       # every 64 MB block is faulted in again (count: page size)
    # a kept heap can still fall back to fresh mappings where the address space above it is taken (seen once
    # in 4 CI runs), so the child gets three tries
    tries = [faults("keep") for _ in range(3)]
    assert any(kept[0] > 100 and 10 * max(kept[1:]) < min(default) for kept in tries), tries


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
