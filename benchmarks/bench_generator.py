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


def timed(children: int, out: Path) -> float:
    """Seconds to generate `children` children into `out`."""
    start = time.perf_counter()
    generate(out, children, seed=7)
    return time.perf_counter() - start


def main() -> None:
    children = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    baseline = max(children // 10, 1000)
    with tempfile.TemporaryDirectory() as tmp:
        small = timed(baseline, Path(tmp) / "small")
        large = timed(children, Path(tmp) / "large")
    small_rate, large_rate = baseline / small, children / large
    print(f"baseline {baseline:>9,} children: {small:7.1f} s  {small_rate:>9,.0f} children/s")
    print(f"run      {children:>9,} children: {large:7.1f} s  {large_rate:>9,.0f} children/s")
    print(f"throughput ratio run/baseline: {large_rate / small_rate:.2f}")


if __name__ == "__main__":
    main()
