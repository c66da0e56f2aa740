"""Ingest the landing folder: every new file is checked, then loaded whole or rejected whole.

Entry points (the CLI's `msix ingest`, `msix.pipeline.ingest` and the Airflow DAG call these):

- `ingest_landing(landing, warehouse, layouts_dir=..., states=None)`: all new files, one report.
- `ingest_states(landing, warehouse, layouts_dir=..., states=None)`: the same, and when that run
  fails each state again on its own before the failure is raised (the Airflow task).
- `discover(landing, warehouse, states=None)`: the files a run would look at (a dry run).
- `ingest_file(path, warehouse, landing=..., layouts_dir=...)`: one file.

One file is one DuckDB transaction: its raw rows, quarantined rows and manifest row are
committed together, so a load killed half-way leaves nothing and the rerun loads the file again.
"""

from __future__ import annotations

import queue
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
from lxml import etree

from loaders import manifest
from loaders.contract import RECORD_TYPES
from loaders.csv_files import as_utf8, load_csv, sends_canonical
from loaders.errors import FileRejected
from loaders.fixed_width import load_fixed_width
from loaders.layouts import Layout, LayoutError, canonical, load_layout
from loaders.names import BadName, SubmissionFile, candidate_paths, parse_path, printable
from loaders.repeats import quarantine_repeats
from loaders.schema import ensure_schema
from loaders.sink import Lineage, RowCounts, insert_arrow
from loaders.xml_files import xml_batches
from msix.db import session
from msix.logs import get_logger

log = get_logger("loaders")

# outcome statuses: the manifest's three, plus two that add no manifest row
LOADED, REJECTED, DUPLICATE = "loaded", "rejected", "duplicate"
UNCHANGED, BAD_NAME = "unchanged", "bad_name"
CHECKPOINT_THRESHOLD = "4GB"
MEMORY_LIMIT = "1GB"
WORKERS = 2  # files loaded at a time by ingest_landing (see _ingest_all)
# errors that bad input can cause; their messages may quote values, so only the class is kept
UNREADABLE = (
    duckdb.ConversionException,
    duckdb.InvalidInputException,
    UnicodeError,
    etree.LxmlError,
)


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one landing file. `reason` never holds a value from a row."""

    file_name: str
    status: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    reason: str | None = None

    def as_dict(self) -> dict[str, object]:
        """Plain values, small enough for an Airflow XCom."""
        return asdict(self)

    def note(self) -> str:
        return f"{printable(self.file_name)}: {self.status}" + (
            f" ({self.reason})" if self.reason else ""
        )


@dataclass
class IngestReport:
    """The outcomes of one ingest run."""

    outcomes: list[FileOutcome] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        by_status = Counter(o.status for o in self.outcomes)
        return {
            "files_loaded": by_status[LOADED],
            "files_rejected": by_status[REJECTED],
            "files_duplicate": by_status[DUPLICATE],
            "files_unchanged": by_status[UNCHANGED],
            "files_skipped_name": by_status[BAD_NAME],
            "rows_read": sum(o.rows_read for o in self.outcomes),
            "rows_loaded": sum(o.rows_loaded for o in self.outcomes),
            "rows_quarantined": sum(o.rows_quarantined for o in self.outcomes),
        }

    def notes(self) -> list[str]:
        """One line per file that was not simply loaded or already known."""
        return [o.note() for o in self.outcomes if o.status in (REJECTED, DUPLICATE, BAD_NAME)]


def discover(landing: Path, warehouse: Path, states: list[str] | None = None) -> list[Path]:
    """Landing files not yet in the manifest with these bytes (badly named files included,
    so that each run reports them). Files the landing index shows unchanged are not read."""
    paths = candidate_paths(landing, states)
    if not warehouse.exists():
        return paths
    with session(warehouse, read_only=True) as con:
        try:
            known = set(con.execute("select file_name, checksum from raw.load_manifest").fetchall())
            unchanged = manifest.unchanged_paths(con, manifest.stats_of(paths, landing))
        except duckdb.CatalogException:
            return paths
    return [p for p in paths if p not in unchanged and (p.name, manifest.checksum(p)) not in known]


def ingest_landing(
    landing: Path, warehouse: Path, *, layouts_dir: Path, states: list[str] | None = None
) -> IngestReport:
    """Load every new file of the landing folder (or of the given states' folders)."""
    paths = candidate_paths(landing, states)
    report = IngestReport()
    with session(warehouse) as con:
        ensure_schema(con)
        # commit each file to the write-ahead log only; fold the log into the file once, at the end
        con.execute(f"set checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
        _limit_memory(con)
        layouts = _Layouts(layouts_dir)
        report.outcomes.extend(_ingest_all(con, paths, landing, layouts))
        con.execute("checkpoint")
    log.info("ingest: %s", report.counts())
    return report


def ingest_states(
    landing: Path, warehouse: Path, *, layouts_dir: Path, states: list[str] | None = None
) -> IngestReport:
    """`ingest_landing` over all the states at once (one connection, one checkpoint, CSV files
    of different states loaded side by side); when that run fails, each state is loaded again
    on its own, so that a state whose files make the loader fail keeps no other state's files
    out, and then the first failure is raised. Files a failed run committed stay committed
    (each file is its own transaction) and are `unchanged` for the runs after it."""
    try:
        return ingest_landing(landing, warehouse, layouts_dir=layouts_dir, states=states)
    except Exception as first:
        log.error("ingest failed (%s): loading each state on its own", type(first).__name__)
        for state in state_folders(landing, states):
            try:
                ingest_landing(landing, warehouse, layouts_dir=layouts_dir, states=[state])
            except Exception as exc:  # noqa: BLE001 - the first failure is raised below
                log.error("ingest of %s failed (%s)", state, type(exc).__name__)
        raise


def state_folders(landing: Path, states: list[str] | None = None) -> list[str]:
    """The folders (upper-case, as `candidate_paths` takes them) that hold landing files."""
    folders = {p.relative_to(landing).parts[0].upper() for p in candidate_paths(landing, states)}
    return sorted(f for f in folders if (landing / f).is_dir())


def _ingest_all(
    con: duckdb.DuckDBPyConnection, paths: list[Path], landing: Path, layouts: _Layouts
) -> list[FileOutcome]:
    """The outcome of every path, in path order.

    Files the landing index vouches for (same size and mtime as when last checked) are
    `unchanged` without being read; the others are checked and loaded (`_ingest_changed`),
    then the index remembers them. Their stat is taken before their bytes are read, so a file
    rewritten during the run is read again by the next run."""
    stats = manifest.stats_of(paths, landing)
    unchanged = manifest.unchanged_paths(con, stats)
    checked = _ingest_changed(con, [p for p in paths if p not in unchanged], landing, layouts)
    manifest.remember(
        con, [(path, stats[path], scan.checksum) for path, (_, scan) in checked.items() if scan]
    )
    return [
        FileOutcome(path.name, UNCHANGED) if path in unchanged else checked[path][0]
        for path in paths
    ]


def _ingest_changed(
    con: duckdb.DuckDBPyConnection, paths: list[Path], landing: Path, layouts: _Layouts
) -> dict[Path, tuple[FileOutcome, manifest.FileScan | None]]:
    """Each path's outcome and scan (None for a badly named file), in path order.

    A CSV or fixed-width file whose bytes no other file of this run has is loaded `WORKERS` at
    a time, each on its own cursor in its own transaction: one file's load is mostly one core
    (a small file is one read_csv thread) and waits on its commit's write, so a second file fills
    that gap. The others then run one at a time, in path order: XML files (each a large
    transaction), files sharing their bytes (the first one loaded makes the next a duplicate) and
    badly named files."""
    with ThreadPoolExecutor(WORKERS) as pool:
        scans = list(pool.map(lambda path: _scan_if_named(path, landing), paths))
    digests = Counter(scan.checksum for scan in scans if scan)
    alone = [
        i
        for i, (path, scan) in enumerate(zip(paths, scans, strict=True))
        if scan and digests[scan.checksum] == 1 and path.suffix.lower() != ".xml"
    ]
    outcomes: list[FileOutcome | None] = [None] * len(paths)
    with _progress(len(paths)) as advance:

        def load(cursor: duckdb.DuckDBPyConnection, i: int) -> None:
            outcomes[i] = _ingest_one(cursor, paths[i], landing, layouts, scans[i])
            advance()

        _in_parallel(con, alone, load)
        for i in sorted(set(range(len(paths))) - set(alone)):
            load(con, i)
    return {
        path: (outcome, scan)
        for path, outcome, scan in zip(paths, outcomes, scans, strict=True)
        if outcome is not None
    }


def _scan_if_named(path: Path, landing: Path) -> manifest.FileScan | None:
    """The file's scan (checksum and line facts), or None for a badly named file."""
    try:
        parse_path(path, landing)
    except BadName:
        return None
    return manifest.scan(path)


def _in_parallel(
    con: duckdb.DuckDBPyConnection,
    jobs: list[int],
    run: Callable[[duckdb.DuckDBPyConnection, int], None],
) -> None:
    """`run(cursor, job)` for every job, on `WORKERS` threads with a cursor each; the first
    error stops the other threads after their current job, then is raised."""
    todo: queue.SimpleQueue[int] = queue.SimpleQueue()
    for job in jobs:
        todo.put(job)
    failed = threading.Event()

    def work() -> None:
        with con.cursor() as cursor:
            while not failed.is_set():
                try:
                    job = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    run(cursor, job)
                except BaseException:
                    failed.set()
                    raise

    with ThreadPoolExecutor(WORKERS) as pool:
        for future in [pool.submit(work) for _ in range(WORKERS)]:
            future.result()


def ingest_file(path: Path, warehouse: Path, *, landing: Path, layouts_dir: Path) -> FileOutcome:
    """Load one landing file (the per-file task of the DAG)."""
    with session(warehouse) as con:
        ensure_schema(con)
        _limit_memory(con)
        return _ingest_one(con, path, landing, _Layouts(layouts_dir))


def _limit_memory(con: duckdb.DuckDBPyConnection) -> None:
    """Bound DuckDB's buffer pool (a big XML file is one transaction; DuckDB spills past this)."""
    con.execute(f"set memory_limit = '{MEMORY_LIMIT}'")


class _Layouts:
    """Layouts by state, read once per run; a broken layout file rejects only its state's files."""

    def __init__(self, layouts_dir: Path) -> None:
        self.layouts_dir = layouts_dir
        self.cache: dict[str, Layout | LayoutError] = {}

    def get(self, state: str) -> Layout:
        if state not in self.cache:
            try:
                self.cache[state] = load_layout(state, self.layouts_dir)
            except LayoutError as exc:
                self.cache[state] = exc
        found = self.cache[state]
        if isinstance(found, LayoutError):
            raise FileRejected(f"layout error: {found}")
        return found


def _ingest_one(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    landing: Path,
    layouts: _Layouts,
    scan: manifest.FileScan | None = None,
) -> FileOutcome:
    """Check one file against the manifest, then load it in one transaction or reject it
    (`scan`: the file already read for its checksum)."""
    try:
        sub = parse_path(path, landing)
    except BadName as exc:
        log.warning("not loaded, left in place: %s: %s", printable(path.name), exc)
        return FileOutcome(path.name, BAD_NAME, reason=str(exc))
    scan = scan or manifest.scan(path)
    digest = scan.checksum
    known = manifest.seen(con, sub.name, digest)
    if known.same_file:
        return FileOutcome(sub.name, UNCHANGED)
    if known.loaded_as is not None:
        reason = f"same bytes as {printable(known.loaded_as)}"
        _record_alone(con, sub, digest, DUPLICATE, reason)
        return FileOutcome(sub.name, DUPLICATE, reason=reason)
    if known.name_loaded_other_bytes:
        reason = "a different file of this name was already loaded; resubmit under a new stamp"
        return _reject(con, sub, digest, reason)
    counts = RowCounts()
    con.execute("begin transaction")
    try:
        lineage = Lineage(digest, sub.name, sub.state, sub.stamp)
        if sub.is_xml:
            _load_xml(con, sub, lineage, counts)
        else:
            _load_records(con, sub, layouts, lineage, counts, scan)
        manifest.record(con, sub, digest, LOADED, (counts.read, counts.loaded, counts.quarantined))
        con.execute("commit")
    except FileRejected as exc:
        con.execute("rollback")
        return _reject(con, sub, digest, str(exc))
    except UNREADABLE as exc:  # input no check foresaw: reject the file, keep the run going
        con.execute("rollback")
        return _reject(con, sub, digest, f"could not be loaded ({type(exc).__name__})")
    except BaseException:
        con.execute("rollback")
        raise
    log.info("loaded %s: %d rows, %d quarantined", sub.name, counts.loaded, counts.quarantined)
    return FileOutcome(sub.name, LOADED, counts.read, counts.loaded, counts.quarantined)


def _load_xml(
    con: duckdb.DuckDBPyConnection, sub: SubmissionFile, lineage: Lineage, counts: RowCounts
) -> None:
    """The rows of one XML file into raw and quarantine (inside the caller's transaction)."""
    layout = canonical(sub.state)  # XML is always canonical
    for record_type, batch in xml_batches(sub):
        insert_arrow(con, record_type, layout, batch, lineage, counts)
    for record_type in RECORD_TYPES:
        quarantine_repeats(con, record_type, lineage, counts)


def _load_records(
    con: duckdb.DuckDBPyConnection,
    sub: SubmissionFile,
    layouts: _Layouts,
    lineage: Lineage,
    counts: RowCounts,
    scan: manifest.FileScan,
) -> None:
    """The rows of one CSV or fixed-width file into raw and quarantine (inside the caller's
    transaction); `scan` is the read of its bytes that gave the checksum."""
    layout = layouts.get(sub.state)
    if sends_canonical(sub.path, sub.record_type, layout):
        layout = canonical(sub.state)
    if layout.format == "fixed_width":
        load_fixed_width(con, sub.path, sub.record_type, layout, lineage, counts)
    else:
        with as_utf8(sub.path, layout.encoding) as utf8_path:
            same_bytes = scan if utf8_path == sub.path else None  # transcoded: scanned anew
            load_csv(con, utf8_path, sub.record_type, layout, lineage, counts, same_bytes)
    quarantine_repeats(con, sub.record_type, lineage, counts)


def _reject(
    con: duckdb.DuckDBPyConnection, sub: SubmissionFile, digest: str, reason: str
) -> FileOutcome:
    log.warning("rejected %s: %s", sub.name, reason)
    _record_alone(con, sub, digest, REJECTED, reason)
    return FileOutcome(sub.name, REJECTED, reason=reason)


def _record_alone(
    con: duckdb.DuckDBPyConnection, sub: SubmissionFile, digest: str, status: str, reason: str
) -> None:
    """A manifest row with no rows of data, in its own transaction."""
    con.execute("begin transaction")
    manifest.record(con, sub, digest, status, reason=reason)
    con.execute("commit")


@contextmanager
def _progress(total: int) -> Iterator[Callable[[], None]]:
    """A function to call once per file done: it advances a rich progress bar on stderr when
    that is a terminal, else does nothing."""
    if not sys.stderr.isatty():
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("ingest", total=total)
        yield lambda: progress.advance(task)
