"""How every task runs: the one-writer pool, retries with backoff, timeouts, failure notice.

DuckDB lets one process write a database file, and a read-only process cannot open it while a
writer holds it. So every task that opens the warehouse runs in the one-slot pool
`msix_warehouse`, whatever executor or number of workers is used.
"""

from __future__ import annotations

import os
import smtplib
from collections.abc import Mapping
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

from msix.logs import get_logger

log = get_logger("airflow")

POOL = "msix_warehouse"
POOL_SLOTS = 1
POOL_DESCRIPTION = "One writer at a time on the DuckDB warehouse file (DuckDB allows one writer)."

TIMEOUTS: dict[str, timedelta] = {
    "ingest": timedelta(hours=2),
    "transform_staging": timedelta(hours=1),
    "resolve_identities": timedelta(hours=2),
    "transform_marts": timedelta(hours=1),
    "check_quality": timedelta(hours=1),
    "send_alerts": timedelta(minutes=30),
    "build_reports": timedelta(minutes=30),
}
"""Execution timeout per pipeline step; a task past it fails and is retried."""

SMALL_TASK_TIMEOUT = timedelta(minutes=5)
"""Timeout of the bookkeeping tasks (listing folders, publishing an Asset event)."""


def task_retries() -> int:
    """Retries per task: MSIX_TASK_RETRIES (read when the DAG file is parsed), default 2."""
    return int(os.environ.get("MSIX_TASK_RETRIES", "2"))


def default_args() -> dict[str, Any]:
    """Arguments every task of every msix DAG gets."""
    return {
        "owner": "msix",
        "retries": task_retries(),
        "retry_delay": timedelta(minutes=1),
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": timedelta(minutes=30),
        "execution_timeout": SMALL_TASK_TIMEOUT,
        "on_failure_callback": notify_failure,
    }


def failure_text(context: Mapping[str, Any]) -> str:
    """One line naming the failed task, its run and the error type and message.

    Exception messages of this project name files, rows and fields, never values from student
    rows, so the message is safe to log and send.
    """
    ti = context.get("ti") or context.get("task_instance")
    dag_id = getattr(ti, "dag_id", "?")
    task_id = getattr(ti, "task_id", "?")
    map_index = getattr(ti, "map_index", -1)
    try_number = getattr(ti, "try_number", "?")
    run_id = context.get("run_id", "?")
    exc = context.get("exception")
    error = f"{type(exc).__name__}: {exc}" if exc is not None else "unknown error"
    where = f"{dag_id}.{task_id}" + (f"[{map_index}]" if map_index not in (-1, None) else "")
    return f"task {where} failed (run {run_id}, try {try_number}): {error}"


def notify_failure(context: Mapping[str, Any]) -> None:
    """on_failure_callback: log the failure; e-mail it when Variable `msix_ops_email` is set."""
    text = failure_text(context)
    log.error(text)
    recipient = _ops_email()
    if recipient:
        try:
            _send_mail(recipient, text)
        except OSError as exc:  # the notice must never hide the original failure
            log.warning("failure e-mail to operations not sent: %s", type(exc).__name__)


def _ops_email() -> str | None:
    """Operations address: Airflow Variable `msix_ops_email` (AIRFLOW_VAR_MSIX_OPS_EMAIL)."""
    try:
        from airflow.sdk import Variable

        return Variable.get("msix_ops_email", default=None)
    except Exception:  # no Airflow context (e.g. a plain test): no e-mail
        return os.environ.get("AIRFLOW_VAR_MSIX_OPS_EMAIL")


def _send_mail(recipient: str, text: str) -> None:
    """Send the failure line through the SMTP server of the alerts (MSIX_SMTP_*)."""
    from msix.settings import get_settings

    settings = get_settings()
    message = EmailMessage()
    message["From"] = settings.smtp_sender
    message["To"] = recipient
    message["Subject"] = "msix warehouse: task failed"
    message.set_content(text + "\n")
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        if settings.smtp_tls:
            smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        smtp.send_message(message)
