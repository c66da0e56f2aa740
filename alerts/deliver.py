"""`deliver_digests`: the pipeline's send_alerts step.

For every approved, trained coordinator: the findings of `marts.dq_issue` for its state (or
district) that are new or changed since they were last sent to that address, plus the move
notices for its state not sent yet; one e-mail per coordinator with anything to say. Each
digest is written to the outbox (`<outbox>/<run>/`) and sent over SMTP. When SMTP fails the
outbox copy stays, the step does not fail, the failure is reported in the notes, and the
items are not logged as sent, so the next run's digest carries them again. The account audit
is kept in `quality.account_audit` and as `account_audit.csv` in the run's outbox folder.
"""

from __future__ import annotations

import contextlib
import io
import re
import smtplib
from dataclasses import dataclass, field
from datetime import datetime
from email.generator import BytesGenerator
from email.message import EmailMessage
from pathlib import Path

import duckdb
import pandas as pd

from alerts.coordinators import Coordinator, audit, load_registry, recipients
from alerts.digest import Digest, build_message, to_csv
from alerts.notices import NOTICE_COLUMNS, NOTICE_ORDER, NOTICES_SQL, notices_kept_for
from msix.db import relation_exists, session
from msix.logs import get_logger
from msix.settings import Settings
from quality.findings import clock, naive_utc, prepare

log = get_logger("alerts")

ALERT_LOG_DDL = """
create table if not exists quality.alert_log (
    recipient varchar not null,
    state varchar not null,
    item_kind varchar not null,
    item_key varchar not null,
    version varchar not null,
    sent_at timestamp not null
)
"""
AUDIT_FIELDS = ("email", "state", "role", "account_status", "reasons")


@dataclass
class AlertReport:
    """Counts of one delivery run and notes (addresses' states and errors, never row data)."""

    recipients: int = 0
    digests: int = 0
    sent: int = 0
    outbox: int = 0
    findings: int = 0
    notices: int = 0
    accounts_short: int = 0
    errors: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "recipients": self.recipients,
            "digests": self.digests,
            "sent": self.sent,
            "outbox": self.outbox,
            "findings": self.findings,
            "notices": self.notices,
            "accounts_short": self.accounts_short,
        }

    def notes(self) -> list[str]:
        return list(self.errors)


def deliver_digests(settings: Settings, as_of: datetime | None = None) -> AlertReport:
    """Build, write and send this run's digests (see the module docstring)."""
    moment = clock(as_of)
    report = AlertReport()
    accounts = load_registry(settings.coordinators)
    shortfalls = audit(accounts, moment.date())
    allowed = recipients(accounts, moment.date())
    report.recipients, report.accounts_short = len(allowed), len(shortfalls)
    run_dir = settings.outbox_dir / moment.strftime("%Y%m%dT%H%M%S")
    run_dir.mkdir(parents=True, exist_ok=True)
    audit_frame = pd.DataFrame([a.__dict__ for a in shortfalls], columns=list(AUDIT_FIELDS))
    (run_dir / "account_audit.csv").write_bytes(to_csv(audit_frame, AUDIT_FIELDS))
    with session(settings.warehouse) as con:
        _keep_audit(con, audit_frame, moment)
        digests = build_digests(con, allowed, moment)
        report.digests = len(digests)
        sender = _Sender(settings)
        for digest in digests:
            message = build_message(digest, settings.smtp_sender)
            _write_outbox(run_dir, digest.recipient, message)
            report.outbox += 1
            report.findings += len(digest.findings)
            report.notices += len(digest.notices)
            if sender.send(message):
                report.sent += 1
                _log_sent(con, digest, moment)
        sender.close()
        report.errors.extend(sender.errors)
    log.info("alerts: %s", report.counts())
    return report


def build_digests(
    con: duckdb.DuckDBPyConnection, allowed: list[Coordinator], as_of: datetime
) -> list[Digest]:
    """The non-empty digest of each allowed coordinator (needs a writer connection).

    What is news for an address is selected inside DuckDB against the alert log (FINDING_NEWS,
    NOTICE_NEWS): only those rows become frames, not every open finding and notice of the
    warehouse (~100,000 and ~180,000 at national scale) with the whole log.
    """
    con.execute("create schema if not exists quality")
    con.execute(ALERT_LOG_DDL)
    findings = _findings_relation(con)
    notices = _notices_relation(con, as_of)
    digests = []
    for who in allowed:
        mine = finding_news(con, findings, who) if findings else _no_findings()
        my_notices = notice_news(con, notices, who) if notices else _no_notices()
        digest = Digest(who, as_of.date(), mine, my_notices)
        if not digest.empty:
            digests.append(digest)
    return digests


# The rows of the address's state (and district, when the account has one) that its alert log
# rows do not hold: a finding in a version not sent to it, if open or sent to it before (a
# finding closed before it was ever sent is no news); a notice not sent to it.
_ADDRESS_ROWS = "item.state = $state and ($district is null or item.district_id = $district)"
_SENT = "select 1 from quality.alert_log as sent where sent.recipient = $recipient"
FINDING_NEWS = f"""
select item.* from {{findings}} as item
where {_ADDRESS_ROWS}
    and not exists ({_SENT} and sent.item_key = item.issue_id and sent.version = item.version)
    and (item.status = 'open' or exists ({_SENT} and sent.item_key = item.issue_id))
order by item.rule, item.issue_id
"""
NOTICE_NEWS = f"""
select item.* from {{notices}} as item
where {_ADDRESS_ROWS} and not exists ({_SENT} and sent.item_key = item.notice_key)
{NOTICE_ORDER}
"""


def finding_news(con: duckdb.DuckDBPyConnection, findings: str, who: Coordinator) -> pd.DataFrame:
    """The findings of the relation `findings` (dq_issue's columns and `version`) that are news
    for the address (FINDING_NEWS), in rule and issue order."""
    return _news(con, FINDING_NEWS.format(findings=findings), who)


def notice_news(con: duckdb.DuckDBPyConnection, notices: str, who: Coordinator) -> pd.DataFrame:
    """The notices of the relation `notices` (NOTICE_COLUMNS) not sent to the address yet
    (NOTICE_NEWS), in NOTICE_ORDER."""
    return _news(con, NOTICE_NEWS.format(notices=notices), who)


def _news(con: duckdb.DuckDBPyConnection, sql: str, who: Coordinator) -> pd.DataFrame:
    params = {"state": who.state, "district": who.district or None, "recipient": who.email}
    return con.execute(sql, params).df()


def _findings_relation(con: duckdb.DuckDBPyConnection) -> str | None:
    """A view of marts.dq_issue with each finding's version (changed_at and status), or None
    before the first quality run."""
    if not relation_exists(con, "marts", "dq_issue"):
        return None
    con.execute(
        "create or replace temp view alert_findings as select *, "
        "strftime(changed_at, '%Y-%m-%dT%H:%M:%S') || '|' || status as version "
        "from marts.dq_issue"
    )
    return "alert_findings"


def _no_findings() -> pd.DataFrame:
    return pd.DataFrame(columns=["issue_id", "state", "district_id", "status", "version"])


def _no_notices() -> pd.DataFrame:
    return pd.DataFrame(columns=list(NOTICE_COLUMNS))


def _notices_relation(con: duckdb.DuckDBPyConnection, as_of: datetime) -> str | None:
    """The notices check_quality kept for this clock (quality.move_notice), or computed here
    into a temporary table (another clock, or new data since); None when the warehouse lacks
    what they are computed from."""
    if notices_kept_for(con, as_of):
        return "quality.move_notice"
    if prepare(con, as_of):
        return None
    con.execute(f"create or replace temp table alert_notices as {NOTICES_SQL}")
    return "alert_notices"


class _Sender:
    """One SMTP session for the run, opened on first use; failures become notes."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None
        self.errors: list[str] = []
        self.unreachable = False

    def send(self, message: EmailMessage) -> bool:
        if self.unreachable:
            return False
        try:
            if self.smtp is None:
                self.smtp = self._connect()
            self.smtp.send_message(message)
            return True
        except (OSError, smtplib.SMTPException) as exc:
            where = f"{self.settings.smtp_host}:{self.settings.smtp_port}"
            if isinstance(exc, smtplib.SMTPRecipientsRefused | smtplib.SMTPDataError):
                self.errors.append(f"SMTP {where} refused a digest: {type(exc).__name__}")
            else:
                self.unreachable = True
                self.errors.append(
                    f"SMTP {where} unreachable ({type(exc).__name__}); digests kept in outbox"
                )
            return False

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=30)
        if s.smtp_tls:
            smtp.starttls()
        if s.smtp_user:
            smtp.login(s.smtp_user, s.smtp_password)
        return smtp

    def close(self) -> None:
        if self.smtp is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self.smtp.quit()


class LineBlockGenerator(BytesGenerator):
    """`bytes(message)`'s generator, writing each part's text in one piece: the same bytes.

    The standard generator splits a part into lines and writes every line and line end on its
    own (1.4 M writes for the base64 attachments of a national week); this one changes the
    line ends with one substitution (`_write_lines`: each line end becomes the policy's).
    """

    def _write_lines(self, lines: str) -> None:
        if lines:
            self.write(_LINE_END.sub(self._NL, lines))


_LINE_END = re.compile(r"\r\n|\r|\n")  # the line ends email.generator recognises


def message_bytes(message: EmailMessage) -> bytes:
    """The bytes of `bytes(message)`, written by `LineBlockGenerator`."""
    buffer = io.BytesIO()
    LineBlockGenerator(buffer, mangle_from_=False, policy=message.policy).flatten(message)
    return buffer.getvalue()


def _write_outbox(run_dir: Path, who: Coordinator, message: EmailMessage) -> Path:
    safe = "".join(c if c.isalnum() or c in "@._-" else "_" for c in who.email)
    path = run_dir / f"{who.state}_{safe}.eml"
    path.write_bytes(message_bytes(message))
    return path


def _log_sent(con: duckdb.DuckDBPyConnection, digest: Digest, moment: datetime) -> None:
    """Remember what went to this address so the next digest only has news."""
    who = digest.recipient
    rows = [
        (i, "finding", v)
        for i, v in zip(digest.findings["issue_id"], digest.findings["version"], strict=True)
    ]
    rows += [(k, "notice", "1") for k in digest.notices["notice_key"]]
    frame = pd.DataFrame(rows, columns=["item_key", "item_kind", "version"], dtype="object")
    sent_at = naive_utc(moment)
    con.register("sent_items", frame)
    try:
        con.execute(
            "insert into quality.alert_log select ?, ?, item_kind, item_key, version, ? "
            "from sent_items",
            [who.email, who.state, sent_at],
        )
    finally:
        con.unregister("sent_items")


def _keep_audit(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, moment: datetime) -> None:
    """Replace `quality.account_audit` with this run's shortfalls."""
    con.execute("create schema if not exists quality")
    con.register("audit_rows", frame.astype("object"))
    try:
        con.execute(
            "create or replace table quality.account_audit as "
            "select ?::timestamp as as_of, email::varchar as email, state::varchar as state, "
            "role::varchar as role, account_status::varchar as account_status, "
            "reasons::varchar as reasons from audit_rows",
            [naive_utc(moment)],
        )
    finally:
        con.unregister("audit_rows")
