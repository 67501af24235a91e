"""Paths shared by the tests (a module of its own: each test folder has its own ``conftest``)."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
BENCH = ROOT.parent / "shared" / "data" / "bench"
