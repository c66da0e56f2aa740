"""Read generated submissions back into canonical rows: the generator's own test oracle.

Independent of the loaders on purpose (a second reading of the contract), small and strict:
any file it cannot read raises `ReadbackError` naming the file and line. Meant for the
generator's tests and for checking small generated sets, not for production loading.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import pandas as pd
from lxml import etree

from loaders.contract import COLUMNS, RECORD_TYPES, XML_ELEMENTS, column_names, pascal_case
from loaders.layouts import CANONICAL_DATE_FORMAT, Layout, load_layout
from msix.paths import LAYOUTS_DIR

FILE_NAME = re.compile(
    r"^(?P<st>[A-Z]{2})_(?P<stamp>\d{8}T\d{6})"
    r"(?:_(?P<type>students|moves|enrollments|courses|assessments)\.csv|\.xml)$"
)
DATE_COLUMNS = frozenset(c.name for cols in COLUMNS.values() for c in cols if c.kind == "date")
LINEAGE = ("state", "stamp", "file_name", "line_no")


class ReadbackError(ValueError):
    """A generated file that does not follow the contract; the message names file and line."""


def read_landing(landing: Path, layouts_dir: Path = LAYOUTS_DIR) -> dict[str, pd.DataFrame]:
    """Every submission under `landing/<ST>/`, per record type, as canonical text rows."""
    rows: dict[str, list[dict[str, str]]] = {t: [] for t in RECORD_TYPES}
    for folder in sorted(p for p in landing.iterdir() if p.is_dir()):
        layout = load_layout(folder.name, layouts_dir)
        for path in sorted(folder.iterdir()):
            match = FILE_NAME.match(path.name)
            if not match or match["st"] != folder.name:
                raise ReadbackError(f"{path.name}: name does not follow the contract")
            if path.suffix == ".xml":
                for record_type, found in read_xml(path).items():
                    rows[record_type].extend(found)
            else:
                rows[match["type"]].extend(read_delimited(path, match["type"], layout))
    columns = {t: (*LINEAGE, *column_names(t)) for t in RECORD_TYPES}
    return {t: pd.DataFrame(rows[t], columns=list(columns[t])).fillna("") for t in RECORD_TYPES}


def _canonical_date(value: str, layout: Layout, where: str) -> str:
    if not value or layout.date_format == CANONICAL_DATE_FORMAT:
        _check_date(value, where)
        return value
    try:
        return dt.datetime.strptime(value, layout.date_format).date().isoformat()
    except ValueError:
        raise ReadbackError(f"{where}: date not in {layout.date_format}") from None


def _check_date(value: str, where: str) -> None:
    if value:
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            raise ReadbackError(f"{where}: date is not YYYY-MM-DD") from None


def read_delimited(path: Path, record_type: str, layout: Layout) -> list[dict[str, str]]:
    """One CSV or fixed-width file in the state's layout, as canonical rows."""
    st, stamp = path.name[:2], path.name[3:18]
    encoding = "utf-8-sig" if layout.is_canonical else layout.encoding
    try:
        text = path.read_bytes().decode(encoding)
    except UnicodeDecodeError as exc:
        raise ReadbackError(f"{path.name}: not {encoding} ({exc.reason})") from None
    if layout.format == "fixed_width":
        positions = layout.fixed_width[record_type]
        raw = [
            (n, {c: line[s - 1 : s - 1 + w].strip() for c, (s, w) in positions.items()})
            for n, line in enumerate(text.splitlines(), start=1)
            if line.strip()
        ]
    else:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=layout.delimiter)
        header = [layout.contract_name(record_type, h) for h in next(reader)]
        raw = [(n, dict(zip(header, r, strict=True))) for n, r in enumerate(reader, start=2)]
    out = []
    for line_no, values in raw:
        where = f"{path.name} line {line_no}"
        row = {"state": st, "stamp": stamp, "file_name": path.name, "line_no": str(line_no)}
        for column, value in values.items():
            value = layout.contract_code(column, value)
            if column in DATE_COLUMNS:
                value = _canonical_date(value, layout, f"{where} field {column}")
            row[column] = value
        out.append(row)
    return out


def read_xml(path: Path) -> dict[str, list[dict[str, str]]]:
    """One XML submission as canonical rows per record type (DTDs and entities refused)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.parse(str(path), parser).getroot()
    except etree.XMLSyntaxError as exc:
        raise ReadbackError(f"{path.name}: not well-formed XML ({exc})") from None
    ns = "{" + root.nsmap[None] + "}" if None in root.nsmap else ""
    st, stamp = path.name[:2], path.name[3:18]
    created = dt.datetime.strptime(stamp, "%Y%m%dT%H%M%S").isoformat()
    if root.get("state") != st or root.get("created") != created:
        raise ReadbackError(f"{path.name}: state/created attributes disagree with the name")
    students = root.findall(f"{ns}Student")
    if int(root.get("studentCount", "-1")) != len(students):
        raise ReadbackError(f"{path.name}: studentCount does not match the Student elements")
    out: dict[str, list[dict[str, str]]] = {t: [] for t in RECORD_TYPES}
    lineage = {"state": st, "stamp": stamp, "file_name": path.name}
    for ordinal, student in enumerate(students, start=1):
        row = {**lineage, "line_no": str(ordinal), "action": student.get("action", "")}
        row |= _fields(student, "students", ns)
        out["students"].append(row)
        ssid = row.get("state_student_id", "")
        for record_type, element in XML_ELEMENTS.items():
            for child in student.findall(f"{ns}{element}"):
                found = {**lineage, "line_no": str(len(out[record_type]) + 1)}
                found |= {"state_student_id": ssid, **_fields(child, record_type, ns)}
                out[record_type].append(found)
    return out


def _fields(element: etree._Element, record_type: str, ns: str) -> dict[str, str]:
    values = {}
    for column in column_names(record_type):
        if column == "action":
            continue
        found = element.find(f"{ns}{pascal_case(column)}")
        if found is not None:
            values[column] = found.text or ""
            if column in DATE_COLUMNS:
                _check_date(values[column], f"XML element {pascal_case(column)}")
    return values
