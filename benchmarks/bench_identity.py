"""Benchmark: identity resolution of N student records (default 1,000,000) on this machine.

    .venv/bin/python benchmarks/bench_identity.py [--records 1000000] [--threads 2] [--profile DIR]

Builds synthetic records (identity.testdata, distortions and twins included) into
`intermediate.int_student_records_latest` of a scratch warehouse, then times:

* baseline: DuckDB's exact-key self-join group-by of the same records (records sharing first
  name, surname and birth date), the cheapest possible "matching", measured in the same run;
* a full resolution (`identity.resolve.resolve`, first run: every pair scored);
* an incremental run after a weekly delta of 1% new records;
* an incremental run with no change at all (the weekly run on a week without new data).

With `--profile DIR` each timed run also writes a cProfile file (`full.prof`, `delta.prof`,
`nochange.prof`) to DIR; read them with `python -m pstats`.

Prints wall and CPU seconds, peak resident memory (process and children, sampled by psutil) and the ratio
to the baseline. Not a test: speed is reported, not asserted.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import psutil


class PeakMemory:
    """Samples this process's resident memory every 50 ms; `peak_mb` after `stop()`."""

    def __init__(self) -> None:
        self._proc = psutil.Process()
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._proc.memory_info().rss)
            time.sleep(0.05)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_mb(self) -> float:
        return self.peak / 2**20


def _cpu_seconds() -> float:
    """User + system CPU time of this process so far (all threads): a figure that other jobs
    on a shared machine do not inflate, unlike wall time."""
    times = psutil.Process().cpu_times()
    return times.user + times.system


def _timed(label: str, call: Callable[[], Any], profile_dir: Path | None, name: str) -> float:
    """Run `call` once; print wall, CPU, peak RSS and its counts; return the wall seconds."""
    profiler = cProfile.Profile() if profile_dir else None
    with PeakMemory() as memory:
        start, cpu = time.perf_counter(), _cpu_seconds()
        if profiler:
            profiler.enable()
        report = call()
        if profiler:
            profiler.disable()
        wall, used = time.perf_counter() - start, _cpu_seconds() - cpu
    if profiler and profile_dir:
        profile_dir.mkdir(parents=True, exist_ok=True)
        profiler.dump_stats(str(profile_dir / f"{name}.prof"))
    print(
        f"{label:17s}{wall:7.1f}s wall, {used:7.1f}s CPU  "
        f"peak RSS {memory.peak_mb:7.0f} MB  {report.counts()}",
        flush=True,
    )
    return wall


def _cache_share(warehouse: Path) -> str:
    """The warehouse file size, and the storage blocks `identity.record_features` holds."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        blocks = con.execute(
            "select count(distinct block_id) from pragma_storage_info('identity.record_features') "
            "where persistent and block_id >= 0"
        ).fetchall()[0][0]
        block_size = con.execute("select block_size from pragma_database_size()").fetchall()[0][0]
    finally:
        con.close()
    size = warehouse.stat().st_size / 2**20
    return f"{size:.0f} MB, identity.record_features {blocks * block_size / 2**20:.0f} MB of it"


def _records(n_records: int, seed: int) -> pd.DataFrame:
    from identity.testdata import make_records

    children = int(n_records / 2.27)  # make_records averages ~2.27 state records per child
    records, _ = make_records(children, seed=seed)
    return records


def baseline_seconds(warehouse: Path, threads: int) -> float:
    """DuckDB exact-key self-join group-by of the input records."""
    con = duckdb.connect(str(warehouse), read_only=True)
    con.execute(f"set threads = {threads}").fetchall()
    start = time.perf_counter()
    con.execute(
        """
        with keyed as (
            select state || ':' || state_student_id as k,
                   upper(first_name) as f, upper(last_name_1) as l, birth_date as d
            from intermediate.int_student_records_latest
        )
        select count(*), count(distinct a.k)
        from keyed as a join keyed as b on a.f = b.f and a.l = b.l and a.d = b.d and a.k < b.k
        """
    ).fetchall()
    seconds = time.perf_counter() - start
    con.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", type=Path, default=None, help="write cProfile files here")
    args = parser.parse_args()
    os.environ["MSIX_IDENTITY_THREADS"] = str(args.threads)

    from identity.resolve import resolve
    from identity.testdata import write_input
    from msix.settings import get_settings

    scratch = Path(tempfile.mkdtemp(prefix="bench_identity_"))
    try:
        warehouse = scratch / "msix.duckdb"
        t0 = time.perf_counter()
        records = _records(args.records, args.seed)
        delta_size = max(1, len(records) // 100)
        base, delta = records.iloc[:-delta_size], records
        write_input(warehouse, base)
        print(
            f"records: {len(base)} (+{delta_size} in the delta); built in {time.perf_counter() - t0:.1f}s"
        )

        baseline = baseline_seconds(warehouse, args.threads)
        settings = get_settings(warehouse=warehouse)

        full = _timed(
            "full run:",
            lambda: resolve(settings, run_date=dt.datetime(2026, 3, 1)),
            args.profile,
            "full",
        )
        write_input(warehouse, delta)
        incremental = _timed(
            "incremental run:",
            lambda: resolve(settings, run_date=dt.datetime(2026, 3, 8)),
            args.profile,
            "delta",
        )
        unchanged = _timed(
            "no-change run:",
            lambda: resolve(settings, run_date=dt.datetime(2026, 3, 15)),
            args.profile,
            "nochange",
        )
        print(f"warehouse file: {_cache_share(warehouse)}")
        print(f"baseline (DuckDB exact-key self-join group-by): {baseline:.2f}s")
        print(
            f"ratio full/baseline: {full / baseline:.0f}x, incremental/baseline: "
            f"{incremental / baseline:.0f}x, no-change/baseline: {unchanged / baseline:.1f}x"
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
