"""Benchmarks of the reminder engine: `python -m bench [--quick]` (see bench/README.md)."""
