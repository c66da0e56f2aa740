"""`make bench`: the whole pipeline stage by stage at national scale, against DuckDB baselines.

Generates synthetic submissions (MSIX_BENCH_CHILDREN children, default 1,000,000), then runs
each pipeline step in a fresh child process, and right after it a plain-DuckDB baseline doing
comparable work on the same data in the same run. The parent samples the child's memory
(resident set of the process and its children) and times the work inside the child, so
interpreter start-up and imports are not counted as work. The results go to docs/benchmarks.md
(MSIX_BENCH_OUT) with the scale, the machine and the exact command.

    MSIX_BENCH_CHILDREN=20000 python -m benchmarks.run_all

Settings: MSIX_BENCH_CHILDREN, MSIX_BENCH_SEED (7), MSIX_BENCH_DIR (benchmarks/out), MSIX_BENCH_OUT
(docs/benchmarks.md), MSIX_BENCH_DELTA (1: also time a weekly delta through the Airflow DAGs).
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psutil

from benchmarks.smtp_sink import smtp_sink
from msix import paths

NATIONAL_CHILDREN = 1_000_000
TARGET_SECONDS = 600  # landing to marts and findings
TARGET_BYTES = 8 * 1024**3
DELTA_TARGET_SECONDS = 60
# The delta's chain clocks, just after the generator's last stamp (2026-10-30), as a real
# schedule would run: an earlier clock would see none of the data as submitted yet. The warm-up
# (nothing new to load) runs a week before the delta.
WARM_UP_CLOCK = "2026-11-02T06:00:00+00:00"
DELTA_CLOCK = "2026-11-09T06:00:00+00:00"
RESULT_PREFIX = "BENCH_RESULT "


@dataclass(frozen=True)
class Stage:
    """One measured step: the pipeline work and what its DuckDB baseline does."""

    name: str
    baseline: str  # what the baseline does, for the report ("" when there is none)


STAGES = (
    Stage("generate", ""),
    Stage(
        "ingest",
        "DuckDB read_csv (read_blob for XML and fixed-width) of the same files into tables",
    ),
    Stage("transform_staging", "CTAS copies of every raw table"),
    Stage(
        "resolve_identities",
        "exact-key self-join on first name, first surname, birth date (bench_identity.baseline_seconds)",
    ),
    Stage("transform_marts", "CTAS copies of every intermediate and identity table"),
    Stage("check_quality", "SUMMARIZE (profile every column) of every marts table"),
    Stage("build_reports", "group-by reads of the rpt_* relations and dq_issue"),
)
# Without these nothing later has data; after any other failure (say one failed dbt test, the
# models being built) the later steps still run and are measured, and the failure is reported.
STOP_ON_FAILURE = ("generate", "ingest")
# The stages the ≤ 10 minute / ≤ 8 GB target covers: landing to marts and findings.
TARGET_STAGES = (
    "ingest",
    "transform_staging",
    "resolve_identities",
    "transform_marts",
    "check_quality",
)


@dataclass
class Measure:
    """Time inside the child and peak memory of its process tree; `error` when it failed."""

    seconds: float = 0.0
    peak_bytes: int = 0
    counts: dict[str, object] = field(default_factory=dict)
    error: str = ""
    cpu_seconds: float = 0.0
    """User and system CPU of the child process (`_measure_module` only): steadier than the
    wall time on a machine shared with other work."""


@dataclass
class StageResult:
    stage: Stage
    work: Measure
    baseline: Measure | None = None

    @property
    def ratio(self) -> float | None:
        if self.work.error or self.baseline is None or self.baseline.error:
            return None
        if not self.baseline.seconds:
            return None
        return self.work.seconds / self.baseline.seconds


@dataclass(frozen=True)
class BenchConfig:
    children: int
    seed: int
    workdir: Path
    out: Path
    delta: bool

    @property
    def landing(self) -> Path:
        return self.workdir / "landing"

    @property
    def warehouse(self) -> Path:
        return self.workdir / "warehouse" / "msix.duckdb"

    @classmethod
    def from_env(cls) -> BenchConfig:
        return cls(
            children=int(os.environ.get("MSIX_BENCH_CHILDREN", NATIONAL_CHILDREN)),
            seed=int(os.environ.get("MSIX_BENCH_SEED", 7)),
            workdir=Path(
                os.environ.get("MSIX_BENCH_DIR", paths.REPO_ROOT / "benchmarks" / "out")
            ).resolve(),
            out=Path(
                os.environ.get("MSIX_BENCH_OUT", paths.REPO_ROOT / "docs" / "benchmarks.md")
            ).resolve(),
            delta=os.environ.get("MSIX_BENCH_DELTA", "1") == "1",
        )


# ---------------------------------------------------------------- in the child process


def _settings(config: BenchConfig):
    from msix.settings import get_settings

    return get_settings(warehouse=config.warehouse, landing=config.landing)


def run_work(name: str, config: BenchConfig) -> dict[str, object]:
    """One pipeline step on the benchmark warehouse; returns its counts."""
    from msix import pipeline

    settings = _settings(config)
    if name == "generate":
        from generator.write import generate

        summary = generate(
            out=config.workdir, children=config.children, seed=config.seed, states=None
        )
        return {"summary": str(summary)}
    steps: dict[str, Callable[[], object]] = {
        "ingest": lambda: pipeline.ingest(settings, config.landing),
        "transform_staging": lambda: pipeline.transform_staging(
            settings, "bench", full_refresh=True
        ),
        "resolve_identities": lambda: pipeline.resolve_identities(settings),
        "transform_marts": lambda: pipeline.transform_marts(settings, "bench", full_refresh=True),
        "check_quality": lambda: pipeline.check_quality(settings),
        "build_reports": lambda: pipeline.build_reports(settings),
    }
    summary = steps[name]()
    return dict(summary.counts)  # type: ignore[attr-defined]


def run_baseline(name: str, config: BenchConfig) -> dict[str, object]:
    """The stage's DuckDB baseline, in the schema `bench_baseline` (dropped afterwards)."""
    if name == "ingest":
        return _baseline_ingest(config)
    if name == "resolve_identities":
        from benchmarks.bench_identity import baseline_seconds  # the identity benchmark's own

        return {"join_seconds": round(baseline_seconds(config.warehouse, os.cpu_count() or 1), 2)}
    from msix import db

    with db.session(config.warehouse) as con:
        con.execute("drop schema if exists bench_baseline cascade; create schema bench_baseline")
        try:
            if name == "build_reports":
                for relation in _tables(con, ("marts",), prefix="rpt_") + _tables(
                    con, ("marts",), prefix="dq_"
                ):
                    con.execute(f"select * from (summarize {relation})").fetchall()
                return {}
            schemas = {
                "transform_staging": ("raw",),
                "transform_marts": ("intermediate", "identity"),
                "check_quality": ("marts",),
            }[name]
            tables = _tables(con, schemas)
            for i, relation in enumerate(tables):
                if name == "check_quality":
                    con.execute(
                        f"create table bench_baseline.t{i} as select * from (summarize {relation})"
                    )
                else:
                    con.execute(f"create table bench_baseline.t{i} as select * from {relation}")
            return {"tables": len(tables)}
        finally:
            con.execute("drop schema if exists bench_baseline cascade")
            con.execute("checkpoint")


def _baseline_ingest(config: BenchConfig) -> dict[str, object]:
    """Every landing file read by DuckDB into a scratch database, one bulk statement per file."""
    import duckdb

    scratch = config.workdir / "baseline_ingest.duckdb"
    scratch.unlink(missing_ok=True)
    files = sorted(p for p in config.landing.rglob("*") if p.is_file())
    rows = 0
    con = duckdb.connect(str(scratch))
    try:
        for i, path in enumerate(files):
            literal = str(path).replace("'", "''")
            try:
                if path.suffix.lower() != ".csv":
                    raise duckdb.Error("not csv")
                con.execute(
                    f"create table f{i} as select * from read_csv('{literal}', all_varchar = true)"
                )
            except duckdb.Error:
                con.execute(f"create or replace table f{i} as select * from read_blob('{literal}')")
            rows += _count(con, f"f{i}")
    finally:
        con.close()
        scratch.unlink(missing_ok=True)
    return {"files": len(files), "rows": rows}


def _tables(con, schemas: tuple[str, ...], prefix: str = "") -> list[str]:
    placeholders = ", ".join("?" for _ in schemas)
    rows = con.execute(
        f"select table_schema, table_name from information_schema.tables "
        f"where table_schema in ({placeholders}) and table_name like ? order by 1, 2",
        [*schemas, prefix + "%"],
    ).fetchall()
    return [f'{s}."{t}"' for s, t in rows]


def _count(con, relation: str) -> int:
    row = con.execute(f"select count(*) from {relation}").fetchone()
    return int(row[0]) if row else 0


def child_main(kind: str, name: str, config: BenchConfig) -> int:
    """Run one measured piece and print its time and counts as one JSON line."""
    from msix import logs

    logs.configure()
    started = time.perf_counter()
    payload: dict[str, object] = {}
    try:
        payload["counts"] = run_work(name, config) if kind == "work" else run_baseline(name, config)
    except Exception as exc:  # measured anyway: the report shows the time and the failure
        traceback.print_exc()
        payload["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    payload["seconds"] = time.perf_counter() - started
    print(RESULT_PREFIX + json.dumps(payload, default=str), flush=True)
    return 1 if "error" in payload else 0


# ---------------------------------------------------------------- in the parent process


def measure(args: list[str], env: dict[str, str], log_file: Path) -> Measure:
    """Run `python -m benchmarks.run_all <args>` and sample its process tree's memory."""
    with log_file.open("a", encoding="utf-8") as log:
        log.write(f"\n=== {' '.join(args)}\n")
        log.flush()
        process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.run_all", *args],
            cwd=paths.REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        peak = _PeakSampler(process.pid)
        peak.start()
        stdout, _ = process.communicate()
        peak.stop()
        log.write(stdout)
    result = Measure(peak_bytes=peak.peak)
    lines = [line for line in stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if not lines:
        result.error = _last_error(log_file) or f"exit code {process.returncode}"
        return result
    payload = json.loads(lines[-1][len(RESULT_PREFIX) :])
    result.seconds = float(payload["seconds"])
    result.counts = payload.get("counts", {})
    result.error = str(payload.get("error", "")).replace("|", "/")[:200]
    return result


def _last_error(log_file: Path) -> str:
    """The last line of the log that names an error (else its last line), shortened."""
    lines = [
        line.strip() for line in log_file.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    named = [line for line in lines if "Error" in line or "Failure" in line or "FAILED" in line]
    chosen = re.sub(r"\x1b\[[0-9;]*m", "", (named or lines or [""])[-1])
    return chosen.replace("|", "/")[:200]


class _PeakSampler(threading.Thread):
    """Samples the resident memory of a process and all its children every 50 ms."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self._halt = threading.Event()

    def run(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self._halt.is_set():
            try:
                procs = [root, *root.children(recursive=True)]
                total = sum(p.memory_info().rss for p in procs if p.is_running())
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                total = 0
            self.peak = max(self.peak, total)
            self._halt.wait(0.05)

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=5)


def child_env(config: BenchConfig) -> dict[str, str]:
    """Environment of every measured process: the benchmark's own warehouse, landing, site."""
    return {
        **os.environ,
        "MSIX_WAREHOUSE": str(config.warehouse),
        "MSIX_LANDING": str(config.landing),
        "MSIX_REPORTS": str(config.workdir / "reports"),
        "MSIX_OUTBOX": str(config.workdir / "outbox"),
        "AIRFLOW_HOME": str(config.workdir / "airflow"),
        "PYTHONUNBUFFERED": "1",
    }


def run_stages(config: BenchConfig, log_file: Path) -> list[StageResult]:
    """Every stage then its baseline; stops only when generation or ingestion fails."""
    env = child_env(config)
    results = []
    for stage in STAGES:
        print(f"bench: {stage.name} ...", flush=True)
        work = measure(["--child", "work", stage.name], env, log_file)
        result = StageResult(stage, work)
        results.append(result)
        if work.error:
            print(f"bench: {stage.name} FAILED: {work.error}", flush=True)
            if stage.name in STOP_ON_FAILURE:
                break
        if stage.name == "generate" and config.delta:
            held = hold_back_last_week(config)
            print(f"bench: held back {held} files (each state's last submission)", flush=True)
        if stage.baseline:
            result.baseline = measure(["--child", "baseline", stage.name], env, log_file)
        print(f"bench: {stage.name} {work.seconds:.1f}s, peak {_mb(work.peak_bytes)}", flush=True)
    return results


def hold_back_last_week(config: BenchConfig) -> int:
    """Move each state's last submission out of the landing folder: the weekly delta to come.

    The generator's truth/submissions.csv lists every submission with its arrival order per
    state; the last one of each state is held back in `held_back/` until `measure_delta`.
    """
    import csv

    log = config.workdir / "truth" / "submissions.csv"
    if not log.exists():
        return 0
    with log.open(encoding="utf-8") as handle:
        subs = list(csv.DictReader(handle))
    last: dict[str, dict[str, str]] = {}
    for sub in subs:
        if int(sub["arrival_order"]) > int(last.get(sub["state"], {}).get("arrival_order", 0)):
            last[sub["state"]] = sub
    moved = 0
    for state, sub in last.items():
        for name in filter(None, sub["files"].split("|")):
            source = config.landing / state / name
            if source.exists():
                target = config.workdir / "held_back" / state / name
                target.parent.mkdir(parents=True, exist_ok=True)
                source.rename(target)
                moved += 1
    return moved


def measure_delta(config: BenchConfig, log_file: Path) -> tuple[Measure, Measure] | None:
    """The held-back last week through the real Airflow DAGs: (warm-up run, delta run).

    The warm-up run (nothing new to load) creates Airflow's metadata database and parses the
    DAGs; then the held-back files return to the landing folder and the timed run loads and
    processes them.
    """
    held = config.workdir / "held_back"
    if not held.exists():
        return None
    # The digests go to a local SMTP server, as a scheduled run's would (smtp_sink.py).
    with smtp_sink(child_env(config)) as (env, _received):
        warm = _measure_module(chain_args(env, WARM_UP_CLOCK), env, log_file)
        for path in sorted(held.rglob("*")):
            if path.is_file():
                target = config.landing / path.relative_to(held)
                target.parent.mkdir(parents=True, exist_ok=True)
                path.rename(target)
        delta = _measure_module(chain_args(env, DELTA_CLOCK), env, log_file)
    return warm, delta


def chain_args(env: dict[str, str], clock: str) -> list[str]:
    """The DAG chain (`dag.test()` of every DAG) at `clock`, with `env`'s Airflow home."""
    home = env["AIRFLOW_HOME"]
    return ["-m", "msix.orchestration.local", "--airflow-home", home, "--logical-date", clock]


def _measure_module(args: list[str], env: dict[str, str], log_file: Path) -> Measure:
    with log_file.open("a", encoding="utf-8") as log:
        log.write(f"\n=== {' '.join(args)}\n")
        log.flush()
        process = subprocess.Popen(
            [sys.executable, *args], cwd=paths.REPO_ROOT, env=env, stdout=log, stderr=log
        )
        started = time.perf_counter()
        peak = _PeakSampler(process.pid)
        peak.start()
        _, status, usage = os.wait4(process.pid, 0)  # wait() without the child's CPU time
        process.returncode = os.waitstatus_to_exitcode(status)
        peak.stop()
    result = Measure(
        seconds=time.perf_counter() - started,
        peak_bytes=peak.peak,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
    )
    if process.returncode != 0:
        result.error = _last_error(log_file)
    return result


def raw_counts(config: BenchConfig) -> dict[str, int]:
    """Rows per raw and marts table: the scale actually measured."""
    from msix import db

    if not config.warehouse.exists():
        return {}
    with db.session(config.warehouse, read_only=True) as con:
        tables = _tables(con, ("raw", "marts"))
        return {t.replace('"', ""): _count(con, t) for t in tables}


# ---------------------------------------------------------------- the report


def _shown(path: Path) -> str:
    """A path relative to the repository when inside it."""
    try:
        return str(path.relative_to(paths.REPO_ROOT))
    except ValueError:
        return str(path)


def _mb(value: int) -> str:
    return f"{value / 1024**2:,.0f} MB"


def _seconds(m: Measure | None) -> str:
    if m is None:
        return "-"
    if m.error:
        return f"{m.seconds:,.1f} s, failed: {m.error}" if m.seconds else f"failed: {m.error}"
    return f"{m.seconds:,.1f} s"


def render_markdown(
    config: BenchConfig,
    results: list[StageResult],
    delta: tuple[Measure, Measure] | None,
    counts: dict[str, int],
    started_at: datetime,
    load: tuple[float, float] = (0.0, 0.0),
) -> str:
    """docs/benchmarks.md: scale, machine, command, one row per stage, the targets."""
    command = (
        f"MSIX_BENCH_CHILDREN={config.children} make bench"
        if config.children != NATIONAL_CHILDREN
        else "make bench"
    )
    scale = (
        "national scale"
        if config.children >= NATIONAL_CHILDREN
        else f"reduced scale; national is {NATIONAL_CHILDREN:,}"
    )
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m benchmarks.run_all`); do not edit by hand.",
        "",
        f"- Scale: **{config.children:,} children** ({scale}), seed {config.seed}",
        f"- Command: `{command}`",
        f"- Run: {started_at.strftime('%Y-%m-%d %H:%M UTC')}, Python {platform.python_version()}, "
        f"{psutil.cpu_count(logical=True)} CPUs, {psutil.virtual_memory().total / 1024**3:.0f} GB RAM, "
        f"{platform.machine()} {platform.system()}",
        f"- Load average (1 min) at the start and end of the run: {load[0]:.1f} and {load[1]:.1f} "
        "(other work on the machine slows every step; the ratios compare like with like, since "
        "each baseline runs right after its step)",
        "",
        "Each step runs in a fresh process; time is measured around the work inside it (no start-up),",
        "peak memory is the resident set of that process and its children sampled every 50 ms.",
        "The baseline is plain DuckDB doing comparable work on the same data in the same run;",
        "the ratio is step time / baseline time.",
        "",
        "| step | time | peak memory | baseline | baseline time | baseline peak | ratio |",
        "|---|---:|---:|---|---:|---:|---:|",
    ]
    for r in results:
        b = r.baseline
        ratio = f"{r.ratio:,.1f}x" if r.ratio is not None else "-"
        lines.append(
            f"| {r.stage.name} | {_seconds(r.work)} | {_mb(r.work.peak_bytes)} | "
            f"{r.stage.baseline or '-'} | {_seconds(b)} | {_mb(b.peak_bytes) if b else '-'} | {ratio} |"
        )
    done = [r for r in results if r.stage.name in TARGET_STAGES]
    total = sum(r.work.seconds for r in done)
    peak = max((r.work.peak_bytes for r in done), default=0)
    if len(done) < len(TARGET_STAGES):
        caveat = " (incomplete: not every step ran)"
    elif any(r.work.error for r in done):
        caveat = " (a step failed, see the table; its time up to the failure is included)"
    else:
        caveat = ""
    lines += [
        "",
        "## Targets",
        "",
        f"- Landing to marts and findings (ingest … check_quality): **{total:,.1f} s**{caveat}"
        f"; target ≤ {TARGET_SECONDS} s at national scale.",
        f"- Peak memory of any of those steps: **{_mb(peak)}**; target ≤ {TARGET_BYTES // 1024**3} GB.",
    ]
    if config.children < NATIONAL_CHILDREN and total:
        factor = NATIONAL_CHILDREN / config.children
        lines.append(
            f"- A straight-line projection to {NATIONAL_CHILDREN:,} children (×{factor:,.0f}) would be "
            f"{total * factor / 60:,.0f} min: a projection, not a measurement (fixed costs such as "
            "dbt start-up do not grow, joins and sorts can grow faster than linearly)."
        )
    if delta is None:
        lines.append("- Weekly delta through the Airflow DAGs: not measured in this run.")
    else:
        warm, run = delta
        lines += [
            "- Weekly delta (each state's last submission, held back from the full load) through "
            f"the real Airflow DAGs (`python -m msix.orchestration.local`, `dag.test()`): "
            f"**{_seconds(run)}**, peak {_mb(run.peak_bytes)}; target ≤ {DELTA_TARGET_SECONDS} s. "
            "Wall time of the process, Airflow start-up and DAG parsing included.",
            f"- The warm-up chain run before it (nothing new; creates Airflow's metadata database): "
            f"{_seconds(warm)}.",
        ]
    if counts:
        lines += ["", "## Rows", "", "| relation | rows |", "|---|---:|"]
        lines += [f"| {name} | {rows:,} |" for name, rows in counts.items()]
    lines += [
        "",
        f"Logs of every measured process: `{_shown(config.workdir / 'bench.log')}` (not committed).",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    config = BenchConfig.from_env()
    if argv[:1] == ["--child"]:
        return child_main(argv[1], argv[2], config)
    started_at = datetime.now(UTC)
    load_start = os.getloadavg()[0]
    if config.workdir.exists():
        shutil.rmtree(config.workdir)
    config.workdir.mkdir(parents=True)
    log_file = config.workdir / "bench.log"
    print(f"bench: {config.children:,} children in {config.workdir}", flush=True)
    results = run_stages(config, log_file)
    ok = all(not r.work.error for r in results) and len(results) == len(STAGES)
    ran_all = len(results) == len(STAGES)
    delta = measure_delta(config, log_file) if ran_all and config.delta else None
    load = (load_start, os.getloadavg()[0])
    text = render_markdown(config, results, delta, raw_counts(config), started_at, load)
    config.out.parent.mkdir(parents=True, exist_ok=True)
    config.out.write_text(text, encoding="utf-8")
    print(f"bench: wrote {config.out}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
