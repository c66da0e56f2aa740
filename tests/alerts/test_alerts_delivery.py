"""Digests over a real SMTP server (aiosmtpd on localhost): who gets what, and nothing more."""

from __future__ import annotations

import email
import email.policy
import io
import socket
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from email.message import EmailMessage, Message
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from aiosmtpd.controller import Controller

from alerts.coordinators import Coordinator
from alerts.deliver import ALERT_LOG_DDL, deliver_digests, finding_news, message_bytes
from alerts.digest import (
    ATTACHMENTS,
    NOTICE_FIELDS,
    NOTICES_IN_BODY,
    Digest,
    build_message,
    html_rows,
    to_csv,
)
from msix.output import csv_to, html_table
from msix.settings import Settings, get_settings
from quality.fixtures import Warehouse
from quality.run import publish_findings

AS_OF = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
T0 = datetime(2026, 1, 5, 8, 0)
REGISTRY = """name,email,state,district,role,account_status,verifier,approver,training_date
TX Admin,tx.data@example.org,TX,,data_administrator,approved,sup@example.org,sea@example.org,2026-01-10
TX Region,tx.region@example.org,TX,4800001,primary_user,approved,sup@example.org,sea@example.org,2026-01-10
TX Expired,tx.old@example.org,TX,,primary_user,approved,sup@example.org,sea@example.org,2025-01-10
FL Admin,fl.data@example.org,FL,,data_administrator,approved,sup@example.org,sea@example.org,2025-12-01
FL Applicant,fl.new@example.org,FL,,secondary_user,requested,,,2026-01-10
CA Gone,ca.gone@example.org,CA,,primary_user,disabled,sup@example.org,sea@example.org,2026-01-10
"""
SECRET_NAMES = ("Zoilamarina", "Quetzaltenango")  # the TX record's names; never sent to FL


class Inbox:
    """aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001
        self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content)))
        return "250 Message accepted"

    def by_recipient(self) -> dict[str, Message]:
        return {rcpt[0]: message for rcpt, message in self.messages}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def text_of(message: Message) -> str:
    """Every decoded part (bodies and attachments) of a message."""
    parts = []
    for part in message.walk():
        payload = part.get_payload(decode=True)
        if payload:
            parts.append(payload.decode("utf-8"))
    return "\n".join(parts)


def attachment(message: Message, name: str) -> str:
    for part in message.walk():
        if part.get_filename() == name:
            return part.get_payload(decode=True).decode("utf-8")
    raise AssertionError(f"no attachment {name}")


def build_warehouse(path: Path) -> None:
    """TX and FL findings, a child moving TX -> FL, a formula-looking course title."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        wh = Warehouse(con)
        wh.student("TX", "TX1", "000000000001", stamp=T0)
        wh.student(
            "TX", "TX2", "000000000002", first_name=SECRET_NAMES[0], last_name_1=SECRET_NAMES[1],
            birth_date=date(2011, 2, 3), stamp=T0,
        )  # fmt: skip
        wh.student("FL", "FL2", "000000000002", birth_date=date(2011, 2, 3), stamp=T0)
        wh.student("FL", "FL9", "000000000009", stamp=T0)
        wh.student("TX", "=SUM(A1)", "000000000003", stamp=T0)
        course = {"state": "TX", "school_id": "480000000001", "school_year": "2025-2026",
                  "term_type": "SEM1", "subject_area": "02", "stamp": T0}  # fmt: skip
        wh.add(
            "raw.courses",
            [
                {**course, "state_student_id": "TX1", "course_title": "=HYPERLINK(\"x\")",
                 "credits_attempted": 0.5, "credits_granted": 1},
                {**course, "state_student_id": "=SUM(A1)", "course_title": "Art",
                 "credits_attempted": 0.5, "credits_granted": 1},
                {**course, "state_student_id": "TX2", "course_title": "Algebra I",
                 "in_progress": "Y", "grade_to_date": "B+"},
            ],
        )  # fmt: skip
        enrollment = {"school_name": "School", "enrollment_type": "01", "stamp": T0}
        wh.add(
            "raw.enrollments",
            [
                {**enrollment, "state": "TX", "state_student_id": "TX1", "school_id": "480000000001",
                 "district_id": "4800001", "enrollment_date": date(2025, 8, 20), "grade_level": "09"},
                {**enrollment, "state": "TX", "state_student_id": "TX2", "school_id": "480000000002",
                 "district_id": "4800002", "enrollment_date": date(2025, 8, 20),
                 "withdrawal_date": date(2026, 1, 30), "grade_level": "09", "lep": "Y"},
                {**enrollment, "state": "FL", "state_student_id": "FL2", "school_id": "120000000001",
                 "enrollment_date": date(2026, 2, 9), "grade_level": "09"},
                {**enrollment, "state": "FL", "state_student_id": "FL9", "school_id": "120000000001",
                 "enrollment_date": date(2026, 2, 9), "withdrawal_date": date(2026, 2, 1),
                 "grade_level": "05"},
            ],
        )  # fmt: skip
        wh.add(
            "raw.moves",
            [{"state": "TX", "state_student_id": "TX2", "qad": date(2026, 2, 2),
              "move_to_state": "FL", "stamp": datetime(2026, 2, 3)}],
        )  # fmt: skip
        publish_findings(con, AS_OF)


@pytest.fixture
def settings(warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.delenv("MSIX_OUTBOX", raising=False)
    registry = tmp_path / "coordinators.csv"
    registry.write_text(REGISTRY, encoding="utf-8")
    build_warehouse(warehouse)
    base = get_settings(warehouse=warehouse)
    return replace(base, coordinators=registry, smtp_host="127.0.0.1", smtp_port=free_port())


@pytest.fixture
def inbox(settings: Settings):
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=settings.smtp_port)
    controller.start()
    yield handler
    controller.stop()


def test_each_approved_trained_coordinator_gets_only_their_state(
    settings: Settings, inbox: Inbox
) -> None:
    report = deliver_digests(settings, as_of=AS_OF)
    got = inbox.by_recipient()
    assert set(got) == {"tx.data@example.org", "tx.region@example.org", "fl.data@example.org"}
    assert report.counts()["sent"] == 3 and report.counts()["accounts_short"] == 3
    for address, message in got.items():
        state = address[:2].upper()
        findings = attachment(message, "findings.csv")
        other = "FL" if state == "TX" else "TX"
        assert f"{other}1" not in findings and f"{other}9" not in findings
        assert message["X-MSIX-State"] == state
    # the district account sees only its district's child
    region = attachment(got["tx.region@example.org"], "findings.csv")
    assert "TX1" in region and "TX2" not in region


def test_move_notices_reach_the_destination_without_names_or_birth_dates(
    settings: Settings, inbox: Inbox
) -> None:
    deliver_digests(settings, as_of=AS_OF)
    got = inbox.by_recipient()
    fl = got["fl.data@example.org"]
    notices = attachment(fl, "move_notices.csv")
    assert "arrival" in notices and "departure" in notices
    assert "000000000002" in notices and "Algebra I (grade to date B+)" in notices
    assert "480000000002" in notices  # the previous school
    for address, message in got.items():
        body = text_of(message)
        assert "2011-02-03" not in body
        if not address.startswith("tx."):
            assert not any(name in body for name in SECRET_NAMES)
    tx_text = text_of(got["tx.data@example.org"])
    assert "move_notices.csv" not in str(got["tx.data@example.org"])
    assert "FL9" not in tx_text


def test_csv_attachment_neutralises_formulas(settings: Settings, inbox: Inbox) -> None:
    deliver_digests(settings, as_of=AS_OF)
    findings = attachment(inbox.by_recipient()["tx.data@example.org"], "findings.csv")
    assert ",'=SUM(A1)," in findings  # the state's own ID, neutralised
    assert "=SUM(A1)" not in findings.replace("'=SUM(A1)", "")


def test_second_run_sends_only_news(settings: Settings, inbox: Inbox) -> None:
    deliver_digests(settings, as_of=AS_OF)
    first = len(inbox.messages)
    again = deliver_digests(settings, as_of=AS_OF)
    assert again.counts()["digests"] == 0 and len(inbox.messages) == first


def test_unreachable_smtp_keeps_outbox_and_resends_later(settings: Settings) -> None:
    report = deliver_digests(settings, as_of=AS_OF)  # nothing listens on the port
    assert report.counts()["sent"] == 0 and report.counts()["outbox"] == 3
    assert any("unreachable" in note for note in report.notes())
    run_dir = settings.outbox_dir / "20260302T120000"
    assert len(list(run_dir.glob("*.eml"))) == 3 and (run_dir / "account_audit.csv").exists()
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=settings.smtp_port)
    controller.start()
    try:
        retry = deliver_digests(settings, as_of=AS_OF)
    finally:
        controller.stop()
    assert retry.counts()["sent"] == 3 and len(handler.messages) == 3


def test_resolved_finding_is_news_once(settings: Settings, inbox: Inbox) -> None:
    deliver_digests(settings, as_of=AS_OF)
    later = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
    with duckdb.connect(str(settings.warehouse)) as con:
        Warehouse(con).add(
            "raw.courses",
            [{"state": "TX", "state_student_id": "TX1", "school_id": "480000000001",
              "school_year": "2025-2026", "term_type": "SEM1", "subject_area": "02",
              "course_title": "Geometry", "credits_attempted": 1, "credits_granted": 1,
              "stamp": datetime(2026, 3, 3)}],
        )  # fmt: skip
        publish_findings(con, later)
    before = len(inbox.messages)
    deliver_digests(settings, as_of=later)
    news = inbox.messages[before:]
    assert sorted(rcpt[0] for rcpt, _ in news) == ["tx.data@example.org", "tx.region@example.org"]
    rows = attachment(news[0][1], "findings.csv").splitlines()[1:]
    assert len(rows) == 1 and ",closed," in rows[0] and ",TX1," in rows[0]


def test_digest_cells_are_written_as_msix_output_writes_them() -> None:
    """The digest renders each distinct cell once; the text is what csv_to/html_table give."""
    fields = ("a", "b", "c")
    rows = [
        ["=1+1", "<b>x</b>", Decimal("1.50")],
        [None, "@home", 1],
        ["=1+1", "<b>x</b>", 1.0],
        [date(2026, 1, 2), datetime(2026, 1, 2, 3, 4, 5), True],
    ]
    frame = pd.DataFrame(rows, columns=list(fields), dtype="object")
    buffer = io.StringIO()
    csv_to(buffer, fields, rows)
    assert to_csv(frame, fields) == buffer.getvalue().encode("utf-8")
    assert html_rows(fields, frame) == html_table(fields, rows)
    assert to_csv(frame.iloc[:0], fields) == b"a,b,c\r\n"


def test_body_shows_the_first_notices_and_the_csv_holds_all() -> None:
    who = Coordinator("TX Admin", "tx.data@example.org", "TX", None, "data_administrator",
                      "approved", "sup@example.org", "sea@example.org", date(2026, 1, 10))  # fmt: skip
    many = NOTICES_IN_BODY + 3
    notices = pd.DataFrame(
        {
            "kind": ["arrival"] * (many - 1) + ["departure"],
            "msix_id": [f"{100000000000 + i}" for i in range(many)],
            "from_state": "FL",
        },
        columns=list(NOTICE_FIELDS),
    )
    for frame, rows_in_body in ((notices, NOTICES_IN_BODY), (notices.head(5), 5)):
        message = build_message(Digest(who, date(2026, 3, 2), pd.DataFrame(), frame), "m@x.org")
        body = message.get_body(("html",)).get_content()
        shown = [m for m in frame["msix_id"] if f"<td>{m}</td>" in body]
        assert shown == list(frame["msix_id"][:rows_in_body])
        truncated = len(frame) == many
        assert (f"The first {NOTICES_IN_BODY} of {many} notices" in body) == truncated
        kinds = f"<td>arrival</td><td>{many - 1}</td></tr><tr><td>departure</td><td>1</td>"
        assert (kinds in body) == truncated
        assert attachment(message, "move_notices.csv").count("\n") == len(frame) + 1


def test_times_are_rendered_as_the_cells_of_their_rows() -> None:
    """datetime64 columns (numbered before rendering) give the text of their Timestamp cells."""
    seen = pd.to_datetime(
        ["2026-03-02 12:00:00", None, "2026-03-02 12:00:00", "2026-01-05 08:00:01"]
    )
    frame = pd.DataFrame({"a": ["x", "=y", None, "x"], "t": seen, "n": [1.5, None, 2.0, 1.5]})
    assert frame["t"].dtype.kind == "M"
    rows = frame.astype(object).where(frame.notna(), None).values.tolist()
    buffer = io.StringIO()
    csv_to(buffer, ("t", "a", "n"), [[r[1], r[0], r[2]] for r in rows])
    assert to_csv(frame, ("t", "a", "n")) == buffer.getvalue().encode("utf-8")
    assert b"2026-03-02 12:00:00,x," in to_csv(frame, ("t", "a", "n"))


def test_outbox_file_holds_the_bytes_of_the_message() -> None:
    """The outbox's generator writes the bytes `bytes(message)` gives, line ends included."""
    who = Coordinator("TX Admin", "tx.data@example.org", "TX", None, "data_administrator",
                      "approved", "sup@example.org", "sea@example.org", date(2026, 1, 10))  # fmt: skip
    findings = pd.DataFrame(
        {
            "issue_id": ["a1", "b2"],
            "rule": ["late_coe", "missing_qad"],
            "severity": ["warning", "error"],
            "status": ["open", "closed"],
            "detail": ["two\nlines", "three\r\nline\rends"],
            "first_seen": pd.to_datetime(["2026-03-02 12:00", "2026-01-05 08:00"]),
            "changed_at": pd.to_datetime(["2026-03-02 12:00", None]),
        }
    )
    notices = pd.DataFrame(
        {
            "kind": ["arrival"] * 300,
            "msix_id": [f"{i:012d}" for i in range(300)],
            "from_state": "FL",
        },
        columns=list(NOTICE_FIELDS),
    )
    message = build_message(Digest(who, date(2026, 3, 2), findings, notices), "m@x.org")
    assert message_bytes(message) == bytes(message)
    message.policy = email.policy.SMTP  # CRLF line ends: every line end of a part is changed
    assert message_bytes(message) == bytes(message)
    assert b"\n" not in bytes(message).replace(b"\r\n", b"")  # no bare line end left


@pytest.mark.parametrize("size", [0, 1, 56, 57, 58, 171, 10_000])
def test_attachments_are_encoded_as_the_standard_content_manager_does(size: int) -> None:
    """ATTACHMENTS encodes base64 in one pass: the same part as email's raw_data_manager."""
    data = bytes(range(256)) * (size // 256 + 1)
    parts = []
    for manager in (None, ATTACHMENTS):
        message = EmailMessage()
        message.set_content("see the attachment")
        extra = {"content_manager": manager} if manager else {}
        message.add_attachment(
            data[:size], maintype="text", subtype="csv", filename="f.csv", **extra
        )
        message.set_boundary("fixed")
        parts.append(bytes(message))
    assert parts[0] == parts[1]


def test_findings_are_news_in_a_new_version_and_closed_ones_once_sent() -> None:
    con = duckdb.connect()
    con.execute("create schema quality")
    con.execute(ALERT_LOG_DDL)
    con.execute(
        "create table findings as select * from (values "
        "('A', 't1|open', 'open'), ('B', 't1|resolved', 'closed'), "
        "('C', 't2|resolved', 'closed'), ('D', 't1|open', 'open'), ('E', 't2|open', 'open'), "
        "('F', 't1|open', 'open')) as f(issue_id, version, status)"
    )
    con.execute(
        "alter table findings add column state varchar default 'TX';"
        "alter table findings add column district_id varchar default 'D1';"
        "alter table findings add column rule varchar default 'r';"
        "update findings set state = 'FL' where issue_id = 'F'"
    )
    tx = Coordinator("TX Admin", "tx@example.org", "TX", None, "data_administrator", "approved",
                     None, None, None)  # fmt: skip
    sent = [("C", "t1|open"), ("D", "t1|open"), ("E", "t1|open"), ("N", "1")]
    for key, version in sent:
        con.execute(
            "insert into quality.alert_log values (?, 'TX', 'finding', ?, ?, now())",
            [tx.email, key, version],
        )
    other = replace(tx, email="other@example.org")
    district = replace(tx, email="other@example.org", district="D2")
    assert list(finding_news(con, "findings", tx)["issue_id"]) == ["A", "C", "E"]
    assert list(finding_news(con, "findings", other)["issue_id"]) == ["A", "D", "E"]
    assert finding_news(con, "findings", district).empty
