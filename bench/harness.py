"""Shared bits of the benchmarks: Django set-up on the bench database and the one-line report.

Every figure is printed as one JSON line:
{"bench": NAME, "value": X, "unit": U, "baseline": B, "ratio": X/B}
where the baseline is measured in the same run on the same machine.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DATABASE_URL", "postgres://root@127.0.0.1:5432/guanjia_bench")
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import django

    django.setup()


def report(bench: str, value: float, unit: str, baseline: float) -> dict:
    line = {
        "bench": bench,
        "value": round(value, 3),
        "unit": unit,
        "baseline": round(baseline, 3),
        "ratio": round(value / baseline, 3) if baseline else None,
    }
    print(json.dumps(line), flush=True)
    return line


def seconds(function: Callable[[], object]) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def p95_ms(function: Callable[[], object], runs: int, warmup: int = 20) -> float:
    for _ in range(warmup):
        function()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.quantiles(samples, n=100)[94]
