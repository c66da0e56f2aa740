"""Per-state layout mappings: how a state's own export differs from the canonical CSV.

A state with no file in `loaders/layouts/` sends canonical files (../shared/spec/state-files.md).
A state with `loaders/layouts/<ST>.toml` sends files in that layout; adding a state's layout is
adding that one file. The format is documented in `loaders/layouts/README.md`.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from loaders.contract import COLUMNS, RECORD_TYPES

CANONICAL_DATE_FORMAT = "%Y-%m-%d"


class LayoutError(ValueError):
    """A layout file that does not describe a usable layout; the message names the file."""


@dataclass(frozen=True)
class Layout:
    """One state's export layout."""

    state: str
    source: str = "canonical"
    format: Literal["delimited", "fixed_width"] = "delimited"
    encoding: str = "utf-8-sig"
    delimiter: str = ","
    date_format: str = CANONICAL_DATE_FORMAT
    # record type -> {their column name (lower-case) -> contract column}
    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    # contract column -> {their code -> contract code}
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    # record type -> {contract column -> (start, width)}, 1-based start, for fixed_width
    fixed_width: dict[str, dict[str, tuple[int, int]]] = field(default_factory=dict)

    @property
    def is_canonical(self) -> bool:
        return self.source == "canonical"

    def contract_name(self, record_type: str, header: str) -> str:
        """The contract column for one of the state's header names (case-insensitive)."""
        key = header.strip().lower()
        return self.columns.get(record_type, {}).get(key, key)

    def their_name(self, record_type: str, contract_column: str) -> str:
        """The state's header name for a contract column (the inverse of `contract_name`)."""
        for theirs, ours in self.columns.get(record_type, {}).items():
            if ours == contract_column:
                return theirs.upper()
        return contract_column

    def contract_code(self, column: str, value: str) -> str:
        """The contract code for one of the state's code values (unmapped values pass through)."""
        return self.codes.get(column, {}).get(value, value)

    def their_code(self, column: str, contract_code: str) -> str:
        """The state's code for a contract code (the inverse of `contract_code`)."""
        for theirs, ours in self.codes.get(column, {}).items():
            if ours == contract_code:
                return theirs
        return contract_code


def canonical(state: str) -> Layout:
    return Layout(state=state)


def parse_layout(path: Path) -> Layout:
    """Read and check one layout file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise LayoutError(f"{path.name}: not a readable TOML layout ({exc})") from None
    state = str(data.get("state", "")).upper()
    if state != path.stem.upper():
        raise LayoutError(f"{path.name}: 'state' must be {path.stem.upper()!r}, found {state!r}")
    fmt = data.get("format", "delimited")
    if fmt not in ("delimited", "fixed_width"):
        raise LayoutError(f"{path.name}: 'format' must be 'delimited' or 'fixed_width'")
    columns: dict[str, dict[str, str]] = {}
    for record_type, mapping in _table(path, data, "columns").items():
        _check_record_type(path, record_type)
        mapping = _table(path, data["columns"], record_type, f"columns.{record_type}")
        known = {c.name for c in COLUMNS[record_type]}
        for theirs, ours in mapping.items():
            if not isinstance(ours, str) or ours not in known:
                raise LayoutError(
                    f"{path.name}: columns.{record_type}.{theirs} maps to unknown column {ours!r}"
                )
        columns[record_type] = {str(k).lower(): str(v) for k, v in mapping.items()}
    fixed: dict[str, dict[str, tuple[int, int]]] = {}
    for record_type, mapping in _table(path, data, "fixed_width").items():
        _check_record_type(path, record_type)
        where = f"fixed_width.{record_type}"
        mapping = _table(path, data["fixed_width"], record_type, where)
        fixed[record_type] = {str(k): _span(path, f"{where}.{k}", v) for k, v in mapping.items()}
    if fmt == "fixed_width" and not fixed:
        raise LayoutError(f"{path.name}: a fixed_width layout needs [fixed_width.<type>] tables")
    codes = {
        str(col): {
            str(k): str(v) for k, v in _table(path, data["codes"], col, f"codes.{col}").items()
        }
        for col in _table(path, data, "codes")
    }
    return Layout(
        state=state,
        source=path.name,
        format=fmt,
        encoding=str(data.get("encoding", "utf-8-sig")),
        delimiter=str(data.get("delimiter", ",")),
        date_format=str(data.get("date_format", CANONICAL_DATE_FORMAT)),
        columns=columns,
        codes=codes,
        fixed_width=fixed,
    )


def _table(path: Path, data: dict[str, Any], key: str, where: str | None = None) -> dict[str, Any]:
    """`data[key]` when it is a TOML table (missing: empty); otherwise a LayoutError naming it."""
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise LayoutError(f"{path.name}: '{where or key}' must be a table")
    return value


def _span(path: Path, where: str, value: Any) -> tuple[int, int]:
    """A fixed-width field's [start, width] pair of whole numbers, or a LayoutError naming it."""
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(n, int) and not isinstance(n, bool) for n in value)
    ):
        return (value[0], value[1])
    raise LayoutError(f"{path.name}: '{where}' must be [start, width], two whole numbers")


def _check_record_type(path: Path, record_type: str) -> None:
    if record_type not in RECORD_TYPES:
        raise LayoutError(f"{path.name}: unknown record type {record_type!r}")


def load_layout(state: str, layouts_dir: Path) -> Layout:
    """The state's layout, or the canonical one when the state has no layout file."""
    path = layouts_dir / f"{state.upper()}.toml"
    return parse_layout(path) if path.exists() else canonical(state.upper())


def load_all(layouts_dir: Path) -> dict[str, Layout]:
    """Every layout file in the folder, by state."""
    return {p.stem.upper(): parse_layout(p) for p in sorted(layouts_dir.glob("*.toml"))}
