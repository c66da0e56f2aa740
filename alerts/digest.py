"""One coordinator's digest: new or changed findings and move notices, as an e-mail.

The HTML body holds counts by rule, counts of notices by kind and the first NOTICES_IN_BODY
notices (mail clients clip or refuse bodies of megabytes: a national week sends a state tens of
thousands), escaped by msix.output's `html_table`; `findings.csv` and `move_notices.csv` hold
every row, written as msix.output's `csv_to` writes them (cells a spreadsheet would run as a
formula neutralised), each distinct cell value rendered once.
"""

from __future__ import annotations

import binascii
import html
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from email import contentmanager
from email.message import EmailMessage
from typing import Any

import numpy as np
import pandas as pd

from alerts.coordinators import Coordinator
from msix.output import csv_of_cells, html_table, neutralise_cell, neutralise_texts

FINDING_FIELDS = (
    "issue_id", "rule", "severity", "status", "msix_id", "state_student_id", "district_id",
    "detail", "first_seen", "changed_at",
)  # fmt: skip
NOTICES_IN_BODY = 200
"""Move notices shown in the HTML body; move_notices.csv holds them all."""

NOTICE_FIELDS = (
    "kind", "msix_id", "from_state", "event_date", "grade_level", "previous_school_id",
    "previous_school", "lep", "iep", "pfs", "courses_in_progress", "credits_earned",
)  # fmt: skip


@dataclass
class Digest:
    """What one coordinator gets this run."""

    recipient: Coordinator
    as_of: date
    findings: pd.DataFrame
    notices: pd.DataFrame

    @property
    def empty(self) -> bool:
        return self.findings.empty and self.notices.empty


def rows_of(frame: pd.DataFrame, fields: tuple[str, ...]) -> list[list[Any]]:
    """The frame's rows in `fields` order, with missing values as None."""
    picked = frame.reindex(columns=list(fields)).astype(object)
    return picked.where(picked.notna(), None).values.tolist()


def rendered(
    frame: pd.DataFrame, fields: tuple[str, ...], render: Callable[[Any], str]
) -> list[tuple[str, ...]]:
    """`render` of every cell of `rows_of(frame, fields)`, called once per distinct value of a
    column (a digest of 100,000 notices holds a few hundred distinct values in most columns)."""
    picked = frame.reindex(columns=list(fields))
    columns = []
    for name in fields:
        values = picked[name]
        if pd.api.types.is_datetime64_any_dtype(values.dtype):
            # numbered as datetime64 (turning every cell into a Timestamp first took most of
            # the time): each distinct time rendered once, as the Timestamp rows_of gives
            codes, uniques = pd.factorize(values)
            texts = np.array(
                [render(u) for u in uniques.astype(object)] + [render(None)], dtype=object
            )
            columns.append(texts[codes].tolist())
            continue
        values = values.astype(object)
        values = values.where(values.notna(), None)
        if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
            # text and NULLs only: numbered by pandas, each distinct text rendered once
            codes, uniques = pd.factorize(values)  # a NULL gets -1: the last text, render(None)
            texts = np.array([*_render_texts(uniques, render), render(None)], dtype=object)
            columns.append(texts[codes].tolist())
        else:
            columns.append(_rendered_values(values.tolist(), render))
    return list(zip(*columns, strict=True))


def _render_texts(texts: Iterable[str], render: Callable[[Any], str]) -> list[str]:
    """`render` of each text; `neutralise_cell` of them as `neutralise_texts` (a third of the
    CSV's time went to the calls)."""
    if render is neutralise_cell:
        return neutralise_texts(texts)
    return [render(t) for t in texts]


def _rendered_values(values: list[Any], render: Callable[[Any], str]) -> list[str]:
    texts: dict[tuple[type, Any], str] = {}
    column = []
    for value in values:
        key = (type(value), value)  # 1, 1.0 and True are equal keys but not equal text
        try:
            text = texts.get(key)
        except TypeError:  # an unhashable value (a list): rendered each time
            text = render(value)
        if text is None:
            text = texts[key] = render(value)
        column.append(text)
    return column


def to_csv(frame: pd.DataFrame, fields: tuple[str, ...]) -> bytes:
    """The rows of `frame` as spreadsheet-safe CSV (UTF-8): formula-looking cells neutralised,
    as `msix.output.csv_to` writes them."""
    buffer = io.StringIO()
    csv_of_cells(buffer, fields, rendered(frame, fields, neutralise_cell))
    return buffer.getvalue().encode("utf-8")


def html_rows(fields: tuple[str, ...], frame: pd.DataFrame) -> str:
    """The frame as an escaped HTML table (`msix.output.html_table`)."""
    return html_table(fields, rows_of(frame, fields))


def html_body(digest: Digest) -> str:
    """Counts by rule, severity and status, then the move notices (`_notices_part`)."""
    who = digest.recipient
    scope = f"{who.state}" + (f", district {who.district}" if who.district else "")
    counts = (
        digest.findings.groupby(["rule", "severity", "status"]).size().reset_index(name="n")
        if not digest.findings.empty
        else pd.DataFrame(columns=["rule", "severity", "status", "n"])
    )
    parts = [
        f"<h1>MSIX data quality digest for {html.escape(scope)}</h1>",
        f"<p>Run date {digest.as_of.isoformat()}: {len(digest.findings)} new or changed "
        f"findings, {len(digest.notices)} move notices. The rows are attached as CSV.</p>",
        "<h2>Findings by rule</h2>",
        html_table(["rule", "severity", "status", "findings"], counts.values.tolist()),
    ]
    if not digest.notices.empty:
        parts += ["<h2>Move notices</h2>", *_notices_part(digest.notices)]
    return "<html><body>" + "".join(parts) + "</body></html>"


def _notices_part(notices: pd.DataFrame) -> list[str]:
    """Counts by kind, then the first NOTICES_IN_BODY notices (all of them are attached)."""
    kinds = notices.groupby("kind").size().reset_index(name="n")
    shown = notices.head(NOTICES_IN_BODY)
    parts = [html_table(["kind", "notices"], kinds.values.tolist())]
    if len(shown) < len(notices):
        parts.append(
            f"<p>The first {len(shown)} of {len(notices)} notices; all of them are in "
            "move_notices.csv.</p>"
        )
    return [*parts, html_rows(NOTICE_FIELDS, shown)]


def base64_lines(data: bytes, max_line_length: int) -> str:
    """The base64 lines email.contentmanager writes for an attachment, encoded in one pass.

    It encodes `max_line_length // 4 * 3` bytes per line, a multiple of 3: the lines are the
    whole encoding cut every `max_line_length // 4 * 4` characters, each with its newline.
    """
    encoded = binascii.b2a_base64(data, newline=False).decode("ascii")
    width = max_line_length // 4 * 4
    return "".join(encoded[i : i + width] + "\n" for i in range(0, len(encoded), width))


def _set_bytes(msg: EmailMessage, data: bytes, maintype: str, subtype: str, cte: str = "base64",
               **kwargs: Any) -> None:  # fmt: skip
    """email.contentmanager.set_bytes_content with `base64_lines` (the same part)."""
    if cte != "base64":
        contentmanager.set_bytes_content(msg, data, maintype, subtype, cte, **kwargs)
        return
    contentmanager._prepare_set(msg, maintype, subtype, kwargs.get("headers"))
    msg.set_payload(base64_lines(data, msg.policy.max_line_length))
    msg["Content-Transfer-Encoding"] = cte
    contentmanager._finalize_set(
        msg, kwargs.get("disposition"), kwargs.get("filename"), kwargs.get("cid"),
        kwargs.get("params"),
    )  # fmt: skip


ATTACHMENTS = contentmanager.ContentManager()
"""The standard content manager (`raw_data_manager`), but bytes are base64-encoded in one pass
(the standard one encodes every 57 bytes apart: a third of a digest's MIME time)."""
ATTACHMENTS.get_handlers = dict(contentmanager.raw_data_manager.get_handlers)
ATTACHMENTS.set_handlers = dict(contentmanager.raw_data_manager.set_handlers)
ATTACHMENTS.add_set_handler(bytes, _set_bytes)


def build_message(digest: Digest, sender: str) -> EmailMessage:
    """The e-mail: plain text and HTML bodies, findings and notices as CSV attachments."""
    who = digest.recipient
    message = EmailMessage()
    message["From"] = sender
    message["To"] = who.email
    message["Subject"] = (
        f"MSIX digest {who.state} {digest.as_of.isoformat()}: "
        f"{len(digest.findings)} findings, {len(digest.notices)} move notices"
    )
    message["X-MSIX-State"] = who.state
    message.set_content(
        f"{len(digest.findings)} new or changed data-quality findings and "
        f"{len(digest.notices)} move notices for {who.state}. See the attached CSV files."
    )
    message.add_alternative(html_body(digest), subtype="html")
    message.add_attachment(
        to_csv(digest.findings, FINDING_FIELDS), maintype="text", subtype="csv",
        filename="findings.csv", content_manager=ATTACHMENTS,
    )  # fmt: skip
    if not digest.notices.empty:
        message.add_attachment(
            to_csv(digest.notices, NOTICE_FIELDS), maintype="text", subtype="csv",
            filename="move_notices.csv", content_manager=ATTACHMENTS,
        )  # fmt: skip
    return message
