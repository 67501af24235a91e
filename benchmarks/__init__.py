"""Benchmarks that print and record quality/speed tables (see BENCHMARKS.md)."""
