"""`raw.load_manifest`: one row per distinct file seen (name and checksum).

- Same name and same bytes as a row already there: nothing new (rescanning adds nothing).
- Same bytes as a *loaded* file under another name: one row with status `duplicate`.
- Same name as a loaded file but new bytes: rejected (a submission is named by its stamp; a
  correction must come under a new stamp).
- New bytes under the name of a *rejected* file (the state fixed it): loaded as a new row.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from loaders.names import SubmissionFile

CHUNK_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class FileScan:
    """What one read of a file's bytes tells: its checksum, and for the CSV loader whether it
    holds a NUL byte, how many line breaks it has (`\n`, `\r` or `\r\n`, each counted once) and
    whether it holds both `\r\n` and a `\n` without `\r` (quoted ones included)."""

    checksum: str
    has_nul: bool
    line_breaks: int
    ends_with_break: bool
    mixes_line_ends: bool = False

    def max_records(self) -> int:
        """An upper bound on the records after a header line: every record takes at least one
        physical line, and a file has one line more than line breaks unless it ends with one."""
        lines = self.line_breaks + (0 if self.ends_with_break else 1)
        return max(lines - 1, 0)


def scan(path: Path) -> FileScan:
    """Read the file once, in chunks: sha256, NUL bytes and line breaks."""
    digest = hashlib.sha256()
    has_nul = False
    lf = cr = crlf = 0
    last = b""
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
            has_nul = has_nul or b"\x00" in chunk
            lf += chunk.count(b"\n")
            cr += chunk.count(b"\r")
            crlf += chunk.count(b"\r\n")
            if last == b"\r" and chunk[:1] == b"\n":  # a \r\n split across two chunks
                crlf += 1
            last = chunk[-1:]
    breaks = lf + cr - crlf
    mixed = crlf > 0 and lf > crlf
    return FileScan(digest.hexdigest(), has_nul, breaks, last in (b"\n", b"\r"), mixed)


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


# ------------------------------------------------------------------ the landing file index
#
# Reading every landing file to checksum it costs ~25 s per run at national scale (10 GB), so
# `raw.landing_file` remembers each file's size and modification time next to the checksum it
# had. A file whose size and mtime match its row, and whose (name, checksum) is in the
# manifest, is unchanged without reading it. As in git's index, a row written less than
# `RACY_NS` after the file's mtime is not trusted: a rewrite within the file system's timestamp
# granularity could keep both size and mtime.

RACY_NS = 2_000_000_000


@dataclass(frozen=True)
class FileStat:
    """A landing file's place (relative to the landing folder), size and mtime in ns."""

    file_path: str
    size_bytes: int
    modified_ns: int


def stat_of(path: Path, landing: Path) -> FileStat:
    """The file's stat, taken before its bytes are read (a later change then shows)."""
    info = path.stat()
    return FileStat(path.relative_to(landing).as_posix(), info.st_size, info.st_mtime_ns)


def stats_of(paths: list[Path], landing: Path) -> dict[Path, FileStat]:
    """Every path's stat (see `stat_of`)."""
    return {path: stat_of(path, landing) for path in paths}


def unchanged_paths(con: duckdb.DuckDBPyConnection, stats: dict[Path, FileStat]) -> set[Path]:
    """The files whose size and mtime match their row, written well after that mtime, and
    whose name and checksum the manifest holds."""
    if not stats:
        return set()
    frame = pa.table(
        {
            "file_path": [s.file_path for s in stats.values()],
            "size_bytes": [s.size_bytes for s in stats.values()],
            "modified_ns": [s.modified_ns for s in stats.values()],
        }
    )
    with con.cursor() as cursor:  # its own result: the caller's connection may hold one
        cursor.register("__landing_stats", frame)
        same = cursor.execute(
            f"""
            select s.file_path
            from __landing_stats as s
            join raw.landing_file as f
                on f.file_path = s.file_path
                and f.size_bytes = s.size_bytes
                and f.modified_ns = s.modified_ns
                and f.recorded_ns - f.modified_ns >= {RACY_NS}
            where exists (
                select 1 from raw.load_manifest as m
                where m.file_name = f.file_name and m.checksum = f.checksum
            )
            """
        ).fetchall()
    paths_by_key = {s.file_path: path for path, s in stats.items()}
    return {paths_by_key[row[0]] for row in same}


def remember(con: duckdb.DuckDBPyConnection, files: list[tuple[Path, FileStat, str]]) -> None:
    """Upsert the rows of files just checked: (path, stat taken before the read, checksum)."""
    if not files:
        return
    now_ns = time.time_ns()
    frame = pa.table(
        {
            "file_path": [s.file_path for _, s, _ in files],
            "file_name": [p.name for p, _, _ in files],
            "size_bytes": [s.size_bytes for _, s, _ in files],
            "modified_ns": [s.modified_ns for _, s, _ in files],
            "checksum": [c for _, _, c in files],
            "recorded_ns": [now_ns] * len(files),
        }
    )
    with con.cursor() as cursor:
        cursor.register("__landing_files", frame)
        cursor.execute(
            "insert or replace into raw.landing_file by name select * from __landing_files"
        )
