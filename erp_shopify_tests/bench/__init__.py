"""Benchmarks (``make bench``): each ``bench_*.py`` module has ``run() -> list[str]``, lines of figures
measured in one run as ratios against a baseline or a theoretical ceiling, never bare times."""

from __future__ import annotations

import time
from collections.abc import Callable


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    """The median time of ``repeat`` calls of ``fn``, in milliseconds (a median: one slow call on
    this shared machine does not move it)."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return sorted(times)[len(times) // 2] * 1000
