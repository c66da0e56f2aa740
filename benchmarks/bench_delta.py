"""Benchmark: the weekly delta through the real Airflow DAGs, task by task, repeatable.

`make bench` times one weekly delta at the end of a 35-minute run. This benchmark keeps the
national-scale state it builds, so the delta can be timed again (after a change, or to see the
spread on a shared machine) in a few minutes:

    .venv/bin/python -m benchmarks.bench_delta [--children 1000000] [--dir benchmarks/out-delta]
        [--reuse [--rewarm]] [--repeat 2]

1. Unless `--reuse` finds a built state in `--dir`: generate the submissions, hold back each
   state's last one (the weekly delta), run every pipeline step on the rest (as `make bench`
   does, without the baselines), run the DAG chain once with nothing new (the warm-up: it creates
   Airflow's metadata database and dbt's parse cache) and keep a copy of the warehouse and the
   Airflow home (`snapshot/`). `--reuse` with a landing folder but no snapshot rebuilds the
   state from that landing without generating again.
   `--rewarm` keeps that state but runs the warm-up chain on it again with the code checked
   out now and keeps the result as the snapshot: after a change to the models' bookkeeping, the
   first run of the new code (which may rebuild a model in full) is not the one timed.
2. `--repeat` times: restore the snapshot, put the held-back files back into the landing
   folder and run the chain (`python -m msix.orchestration.local`, `dag.test()` of every DAG)
   in a fresh process. Prints the wall time (Airflow start-up and DAG parsing included) and
   each task's time from the tasks' own log lines, against the 60 s target.

The baseline is the target, not a DuckDB query: no plain-SQL equivalent of "load the week,
re-link, rebuild, re-check" exists to compare with.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks import run_all
from benchmarks.smtp_sink import smtp_sink
from msix import paths

BUILD_STAGES = tuple(s.name for s in run_all.STAGES if s.name != "generate")
# a task's own summary line: "<step or state>: counts... in 12.3s" (msix.orchestration.factory)
TASK_LINE = re.compile(r"INFO msix\.airflow: (?P<step>[a-z_]+|[A-Z]{2}): .* in (?P<s>[0-9.]+)s$")


@dataclass(frozen=True)
class DeltaRun:
    """One timed delta: wall and CPU seconds, peak memory, seconds per task, failure, load
    average."""

    seconds: float
    cpu_seconds: float
    peak_bytes: int
    tasks: dict[str, float]
    error: str
    load: tuple[float, float]


def task_seconds(log_text: str) -> dict[str, float]:
    """Seconds per task from the chain's log (the per-state ingest tasks of logs before
    2026-11-29 are summed as `ingest`)."""
    seconds: dict[str, float] = {}
    for line in log_text.splitlines():
        match = TASK_LINE.search(line)
        if match:
            step = match["step"]
            step = "ingest" if step.isupper() else step
            seconds[step] = seconds.get(step, 0.0) + float(match["s"])
    return seconds


def configure(children: int, workdir: Path) -> run_all.BenchConfig:
    """The run_all configuration; its child processes read the same values from the env."""
    os.environ["MSIX_BENCH_CHILDREN"] = str(children)
    os.environ["MSIX_BENCH_DIR"] = str(workdir)
    return run_all.BenchConfig.from_env()


def build_state(config: run_all.BenchConfig, generate: bool) -> None:
    """Landing (generated unless kept), the full load of all but the last week, the warm-up."""
    log_file = config.workdir / "bench.log"
    if generate:
        if config.workdir.exists():
            shutil.rmtree(config.workdir)
        config.workdir.mkdir(parents=True)
        _run_stage("generate", config, log_file)
        print(f"delta: held back {run_all.hold_back_last_week(config)} files", flush=True)
    for name in ("warehouse", "airflow", "reports", "outbox", "snapshot"):
        shutil.rmtree(config.workdir / name, ignore_errors=True)
    _remove_held_back_from_landing(config)
    for stage in BUILD_STAGES:
        _run_stage(stage, config, log_file)
    warm_up(config, log_file)


def warm_up(config: run_all.BenchConfig, log_file: Path) -> None:
    """The chain with nothing new (clock run_all.WARM_UP_CLOCK); its result becomes the snapshot."""
    warm = _run_chain(config, run_all.WARM_UP_CLOCK, log_file)
    print(f"delta: warm-up chain {warm.seconds:.1f}s {warm.error}", flush=True)
    if warm.error:
        raise SystemExit(f"warm-up failed: {warm.error} (see {log_file})")
    snapshot = config.workdir / "snapshot"
    shutil.rmtree(snapshot, ignore_errors=True)
    shutil.copytree(config.workdir / "warehouse", snapshot / "warehouse")
    shutil.copytree(config.workdir / "airflow", snapshot / "airflow")


def rewarm(config: run_all.BenchConfig) -> None:
    """Restore the snapshot with the held-back files out of the landing, warm up again."""
    _restore_snapshot(config)
    _remove_held_back_from_landing(config)
    warm_up(config, config.workdir / "bench.log")


def _run_stage(name: str, config: run_all.BenchConfig, log_file: Path) -> None:
    result = run_all.measure(["--child", "work", name], run_all.child_env(config), log_file)
    print(f"delta: {name} {result.seconds:.1f}s {result.error}", flush=True)
    if result.error and name in ("generate", "ingest"):
        raise SystemExit(f"{name} failed: {result.error} (see {log_file})")


def _remove_held_back_from_landing(config: run_all.BenchConfig) -> None:
    held = config.workdir / "held_back"
    for path in held.rglob("*"):
        if path.is_file():
            (config.landing / path.relative_to(held)).unlink(missing_ok=True)


def time_delta(config: run_all.BenchConfig, attempt: int) -> DeltaRun:
    """Restore the snapshot, return the held-back week to the landing, run the chain."""
    _restore_snapshot(config)
    _remove_held_back_from_landing(config)
    shutil.copytree(config.workdir / "held_back", config.landing, dirs_exist_ok=True)
    log_file = config.workdir / f"delta-{attempt}.log"
    log_file.unlink(missing_ok=True)
    load_before = os.getloadavg()[0]
    result = _run_chain(config, run_all.DELTA_CLOCK, log_file)
    tasks = task_seconds(log_file.read_text(encoding="utf-8", errors="replace"))
    return DeltaRun(
        result.seconds,
        result.cpu_seconds,
        result.peak_bytes,
        tasks,
        result.error,
        (load_before, os.getloadavg()[0]),
    )


def _restore_snapshot(config: run_all.BenchConfig) -> None:
    snapshot = config.workdir / "snapshot"
    for name in ("warehouse", "airflow"):
        shutil.rmtree(config.workdir / name, ignore_errors=True)
        shutil.copytree(snapshot / name, config.workdir / name)
    for name in ("reports", "outbox"):
        shutil.rmtree(config.workdir / name, ignore_errors=True)
    # the copy's ~5 GB of dirty pages would otherwise be written back inside the timed run,
    # at its first checkpoint: a cost of the benchmark, not of the delta
    os.sync()


def _run_chain(config: run_all.BenchConfig, clock: str, log_file: Path) -> run_all.Measure:
    """The DAG chain at `clock`, its digests delivered to a local SMTP server (smtp_sink.py)."""
    with smtp_sink(run_all.child_env(config)) as (env, received):
        result = run_all._measure_module(run_all.chain_args(env, clock), env, log_file)
    print(f"delta: chain at {clock}: {received.messages} digests delivered", flush=True)
    return result


def report(run: DeltaRun, attempt: int) -> str:
    """One run as lines: wall time against the target, then each task."""
    lines = [
        f"delta run {attempt}: {run.seconds:.1f} s wall (target {run_all.DELTA_TARGET_SECONDS} s, "
        f"ratio {run.seconds / run_all.DELTA_TARGET_SECONDS:.2f}), {run.cpu_seconds:.1f} s CPU, "
        f"peak {run.peak_bytes / 2**20:,.0f} MB, load average {run.load[0]:.1f} -> {run.load[1]:.1f}"
        + (f", FAILED: {run.error}" if run.error else "")
    ]
    for step, seconds in run.tasks.items():
        lines.append(f"  {step:<20} {seconds:6.1f} s")
    overhead = run.seconds - sum(run.tasks.values())
    lines.append(f"  {'airflow and rest':<20} {overhead:6.1f} s")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_delta")
    parser.add_argument("--children", type=int, default=run_all.NATIONAL_CHILDREN)
    parser.add_argument("--dir", type=Path, default=paths.REPO_ROOT / "benchmarks" / "out-delta")
    parser.add_argument("--reuse", action="store_true", help="keep the state built before")
    parser.add_argument(
        "--rewarm", action="store_true", help="with --reuse: warm the kept state up again first"
    )
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)
    config = configure(args.children, args.dir.resolve())
    has_landing = (config.workdir / "held_back").is_dir()
    has_snapshot = (config.workdir / "snapshot" / "warehouse").is_dir()
    if not (args.reuse and has_snapshot):
        started = time.perf_counter()
        build_state(config, generate=not (args.reuse and has_landing))
        print(f"delta: state built in {time.perf_counter() - started:.0f}s", flush=True)
    elif args.rewarm:
        rewarm(config)
    failed = False
    for attempt in range(1, args.repeat + 1):
        run = time_delta(config, attempt)
        print(report(run, attempt), flush=True)
        failed = failed or bool(run.error)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
