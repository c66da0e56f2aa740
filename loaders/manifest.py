"""`raw.load_manifest`: one row per distinct file seen (name and checksum).

- Same name and same bytes as a row already there: nothing new (rescanning adds nothing).
- Same bytes as a *loaded* file under another name: one row with status `duplicate`.
- Same name as a loaded file but new bytes: rejected (a submission is named by its stamp; a
  correction must come under a new stamp).
- New bytes under the name of a *rejected* file (the state fixed it): loaded as a new row.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import duckdb

from loaders.names import SubmissionFile

CHUNK_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class FileScan:
    """What one read of a file's bytes tells: its checksum, and for the CSV loader whether it
    holds a NUL byte and how many line breaks it has (`\n`, `\r` or `\r\n`, each counted once)."""

    checksum: str
    has_nul: bool
    line_breaks: int
    ends_with_break: bool

    def max_records(self) -> int:
        """An upper bound on the records after a header line: every record takes at least one
        physical line, and a file has one line more than line breaks unless it ends with one."""
        lines = self.line_breaks + (0 if self.ends_with_break else 1)
        return max(lines - 1, 0)


def scan(path: Path) -> FileScan:
    """Read the file once, in chunks: sha256, NUL bytes and line breaks."""
    digest = hashlib.sha256()
    has_nul = False
    breaks = 0
    last = b""
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
            has_nul = has_nul or b"\x00" in chunk
            breaks += chunk.count(b"\n") + chunk.count(b"\r") - chunk.count(b"\r\n")
            if last == b"\r" and chunk[:1] == b"\n":  # a \r\n split across two chunks
                breaks -= 1
            last = chunk[-1:]
    return FileScan(digest.hexdigest(), has_nul, breaks, last in (b"\n", b"\r"))


def checksum(path: Path) -> str:
    """sha256 of the file's bytes, read in chunks."""
    return scan(path).checksum


@dataclass(frozen=True)
class Seen:
    """What the manifest already knows about one file."""

    same_file: bool  # this name with these bytes has a row
    loaded_as: str | None  # name of a loaded file with these bytes
    name_loaded_other_bytes: bool  # this name was loaded with other bytes


def seen(con: duckdb.DuckDBPyConnection, file_name: str, digest: str) -> Seen:
    """Look the file up in the manifest."""
    row = con.execute(
        "select count(*) filter (where file_name = $name and checksum = $digest), "
        "min(file_name) filter (where checksum = $digest and status = 'loaded'), "
        "count(*) filter (where file_name = $name and checksum <> $digest and status = 'loaded') "
        "from raw.load_manifest",
        {"name": file_name, "digest": digest},
    ).fetchone()
    same, loaded_as, other = row if row else (0, None, 0)
    return Seen(same_file=bool(same), loaded_as=loaded_as, name_loaded_other_bytes=bool(other))


def record(
    con: duckdb.DuckDBPyConnection,
    sub: SubmissionFile,
    digest: str,
    status: str,
    rows: tuple[int, int, int] = (0, 0, 0),
    reason: str | None = None,
) -> None:
    """Insert the file's manifest row (`rows` = read, loaded, quarantined)."""
    load_id = digest if status == "loaded" else None
    con.execute(
        "insert into raw.load_manifest values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()::timestamp)",
        [
            sub.name,
            str(sub.path),
            digest,
            sub.state,
            sub.stamp,
            sub.record_type,
            status,
            *rows,
            reason,
            load_id,
        ],
    )
