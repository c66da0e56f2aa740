"""Benchmarks: `make bench` runs `benchmarks.run_all`; per-area scripts live beside it."""
