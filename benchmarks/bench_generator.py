"""Generator throughput: children per second for 100,000 children (and a 10,000 baseline).

Run: `.venv/bin/python benchmarks/bench_generator.py [children]`. Prints seconds and children/s
for a small baseline run and the large run measured in the same process, and their ratio
(close to 1 when the generator scales linearly).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from generator.write import generate


def timed(children: int, out: Path) -> tuple[float, float]:
    """Wall and CPU seconds to generate `children` children into `out`."""
    start, cpu = time.perf_counter(), time.process_time()
    generate(out, children, seed=7)
    return time.perf_counter() - start, time.process_time() - cpu


def main() -> None:
    children = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    baseline = max(children // 10, 1000)
    with tempfile.TemporaryDirectory() as tmp:
        small, small_cpu = timed(baseline, Path(tmp) / "small")
        large, large_cpu = timed(children, Path(tmp) / "large")
    small_rate, large_rate = baseline / small, children / large
    print(
        f"baseline {baseline:>9,} children: {small:7.1f} s wall {small_cpu:7.1f} s cpu"
        f"  {small_rate:>9,.0f} children/s"
    )
    print(
        f"run      {children:>9,} children: {large:7.1f} s wall {large_cpu:7.1f} s cpu"
        f"  {large_rate:>9,.0f} children/s"
    )
    print(f"throughput ratio run/baseline: {large_rate / small_rate:.2f}")


if __name__ == "__main__":
    main()
