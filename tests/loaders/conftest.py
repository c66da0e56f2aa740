"""Small landing folders written file by file for the loader tests."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from loaders.ingest import IngestReport, ingest_landing

STAMP = "20261101T083000"
STUDENT_HEADER = ["state_student_id", "first_name", "last_name_1", "sex", "birth_date"]


def csv_text(header: list[str], rows: list[list[str]], delimiter: str = ",") -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def student(sid: str, first: str = "Ana", birth: str = "2012-05-01", sex: str = "F") -> list[str]:
    return [sid, first, "Ruiz", sex, birth]


@dataclass
class Landing:
    """A landing folder, a warehouse file and a layouts folder inside one test's tmp_path."""

    root: Path
    warehouse: Path
    layouts: Path

    def path(self, state: str, name: str) -> Path:
        folder = self.root / state
        folder.mkdir(parents=True, exist_ok=True)
        return folder / name

    def write(self, state: str, name: str, body: str | bytes, encoding: str = "utf-8") -> Path:
        path = self.path(state, name)
        path.write_bytes(body if isinstance(body, bytes) else body.encode(encoding))
        return path

    csv_text = staticmethod(csv_text)
    student = staticmethod(student)

    def students(
        self, state: str, rows: list[list[str]], stamp: str = STAMP, header: list[str] | None = None
    ) -> Path:
        return self.write(
            state, f"{state}_{stamp}_students.csv", csv_text(header or STUDENT_HEADER, rows)
        )

    def ingest(self, states: list[str] | None = None) -> IngestReport:
        return ingest_landing(self.root, self.warehouse, layouts_dir=self.layouts, states=states)

    def rows(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(sql).fetchall()

    def one(self, sql: str) -> object:
        return self.rows(sql)[0][0]

    @staticmethod
    def xml_text(
        state: str = "TX",
        created: str = "2026-11-01T08:30:00",
        count: int | None = None,
        students: list[str] | None = None,
    ) -> str:
        """An XML submission; `students` are <Student> elements as text."""
        body = students if students is not None else [Landing.xml_student("TX1")]
        declared = len(body) if count is None else count
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<Submission xmlns="urn:msix-warehouse:submission:1" state="{state}" created="{created}" '
            f'studentCount="{declared}">\n' + "\n".join(body) + "\n</Submission>\n"
        )

    @staticmethod
    def xml_student(
        sid: str, action: str = "U", children: str = "", birth: str = "2010-03-14"
    ) -> str:
        return (
            f'<Student action="{action}"><StateStudentId>{sid}</StateStudentId><FirstName>Maria</FirstName>'
            f"<LastName1>Hernandez</LastName1><Sex>F</Sex><BirthDate>{birth}</BirthDate>{children}</Student>"
        )

    def manifest(self) -> list[tuple]:
        return self.rows(
            "select file_name, status, rows_read, rows_loaded, rows_quarantined, reason "
            "from raw.load_manifest order by file_name, status"
        )


@pytest.fixture
def landing(tmp_path: Path) -> Landing:
    layouts = tmp_path / "layouts"
    layouts.mkdir()
    return Landing(tmp_path / "landing", tmp_path / "msix.duckdb", layouts)
