"""Benchmarks (``make bench``): each ``bench_*.py`` module has ``run() -> list[str]``, lines of figures
measured in one run as ratios against a baseline or a theoretical ceiling, never bare times."""
