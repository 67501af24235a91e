"""Benchmarks that print and record quality/speed tables (see BENCHMARKS.md)."""

import restore  # noqa: E402,F401  (before torch, as in the CLI: restore sets PyTorch's allocator options)
