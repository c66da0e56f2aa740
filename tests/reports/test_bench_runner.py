"""benchmarks.run_all: baselines run on a warehouse, and the report says scale and ratios."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from benchmarks import run_all


def _config(tmp_path: Path, children: int = 20_000) -> run_all.BenchConfig:
    return run_all.BenchConfig(children, 7, tmp_path, tmp_path / "benchmarks.md", delta=False)


def test_baselines_run_on_the_warehouse_and_leave_nothing_behind(
    tmp_path: Path, make_warehouse: Callable[..., Path]
) -> None:
    config = _config(tmp_path)
    make_warehouse(config.warehouse)
    assert run_all.run_baseline("transform_staging", config) == {"tables": 1}
    assert run_all.run_baseline("check_quality", config) == {"tables": 9}  # marts.* tables
    assert set(run_all.run_baseline("resolve_identities", config)) == {"join_seconds"}
    con = duckdb.connect(str(config.warehouse), read_only=True)
    schemas = {
        r[0] for r in con.execute("select schema_name from information_schema.schemata").fetchall()
    }
    con.close()
    assert "bench_baseline" not in schemas


def test_ingest_baseline_reads_every_landing_file(tmp_path: Path) -> None:
    config = _config(tmp_path)
    (config.landing / "TX").mkdir(parents=True)
    (config.landing / "TX" / "a.csv").write_text("x,y\n1,2\n3,4\n", encoding="utf-8")
    (config.landing / "TX" / "b.xml").write_text("<Students/>", encoding="utf-8")
    assert run_all.run_baseline("ingest", config) == {"files": 2, "rows": 3}


def test_report_names_scale_command_and_ratio(tmp_path: Path) -> None:
    ingest, marts = run_all.STAGES[1], run_all.STAGES[4]
    results = [
        run_all.StageResult(
            ingest, run_all.Measure(12.0, 2 * 1024**3), run_all.Measure(3.0, 1024**3)
        ),
        run_all.StageResult(marts, run_all.Measure(error="DbtFailure: x")),
    ]
    text = run_all.render_markdown(
        _config(tmp_path), results, None, {"raw.students": 1234}, datetime(2026, 1, 1, tzinfo=UTC)
    )
    assert "**20,000 children** (reduced scale" in text
    assert "`MSIX_BENCH_CHILDREN=20000 make bench`" in text
    assert "| ingest | 12.0 s | 2,048 MB |" in text and "| 4.0x |" in text
    assert "| transform_marts | failed: DbtFailure: x |" in text
    assert "(incomplete: not every step ran)" in text  # check_quality never ran
    assert "| raw.students | 1,234 |" in text


def test_a_failing_step_still_reports_its_time_and_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path)
    (tmp_path / "warehouse").write_text(
        "not a folder", encoding="utf-8"
    )  # the warehouse can't open
    assert run_all.child_main("baseline", "transform_staging", config) == 1
    line = capsys.readouterr().out.strip().splitlines()[-1]
    payload = json.loads(line.removeprefix(run_all.RESULT_PREFIX))
    assert payload["seconds"] >= 0 and payload["error"].startswith("FileExistsError")


def test_bench_delta_sums_each_tasks_own_seconds_from_the_chain_log() -> None:
    from benchmarks.bench_delta import task_seconds

    log = "\n".join(
        [
            "2026-11-29 00:30:22,1 INFO msix.airflow: ingest: files_loaded=4, rows_read=9 in 3.5s",
            "2026-11-29 00:30:24,1 INFO msix.airflow: ingest: files_loaded=1, rows_read=2 in 1.5s",
            "[0m00:31:02  1 of 62 OK created sql view model stg_students in 0.25s",
            "2026-11-29 00:31:03,1 INFO msix.dbt: dbt pass unique_x in 0.70s",
            "2026-11-29 00:31:03,1 INFO msix.airflow: transform_staging: nodes=62 in 30.7s",
            "2026-11-29 00:35:18,1 INFO msix.airflow: send_alerts: digests=6 (SMTP down) in 41.6s",
        ]
    )
    assert task_seconds(log) == {"ingest": 5.0, "transform_staging": 30.7, "send_alerts": 41.6}


def test_a_measured_module_reports_its_own_cpu_time_and_its_failure(tmp_path: Path) -> None:
    log = tmp_path / "child.log"
    busy = run_all._measure_module(["-c", "sum(range(30_000_000))"], {}, log)
    idle = run_all._measure_module(["-c", "import time; time.sleep(0.5)"], {}, log)
    failed = run_all._measure_module(["-c", "raise SystemExit('no warehouse')"], {}, log)
    assert busy.cpu_seconds > 0.2 and not busy.error
    assert idle.seconds >= 0.5 and idle.cpu_seconds < idle.seconds
    assert failed.error and failed.cpu_seconds < 5


def test_the_benchmark_smtp_sink_accepts_what_is_sent_to_the_env_it_gives() -> None:
    import smtplib
    from email.message import EmailMessage

    from benchmarks.smtp_sink import smtp_sink

    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@example.org", "b@example.org", "x"
    message.set_content("digest")
    with smtp_sink({"KEEP": "1"}) as (env, received):
        assert env["KEEP"] == "1"
        with smtplib.SMTP(env["MSIX_SMTP_HOST"], int(env["MSIX_SMTP_PORT"]), timeout=10) as smtp:
            smtp.send_message(message)
            smtp.send_message(message)
    assert received.messages == 2 and received.size_bytes > 2 * len("digest")
