"""Row checks and typing as SQL over a whole staged file, from the contract and a layout.

Every source (CSV read by DuckDB, XML and fixed-width batches from Arrow) is first staged as a
relation of text columns: `line_no`, the contract columns present in the file (any absent
column is NULL) and `extra` (JSON text of unknown columns, or NULL). `checked_select` cleans
each value (trim, empty -> missing, the layout's code crosswalk), finds the first broken rule
of each row as `problem` (`field<TAB>reason`, NULL for a good row), and the two inserts split
the rows between `raw.<type>` (typed) and `raw.quarantine`. Reasons never quote the value.
"""

from __future__ import annotations

from datetime import datetime

from loaders.contract import COLUMNS, Column
from loaders.layouts import CANONICAL_DATE_FORMAT, Layout
from loaders.schema import sql_type

MAX_TEXT = 1000  # longest text value kept in a contract column without its own limit
MAX_EXTRA = 10000  # longest JSON of a row's unknown columns
MISSING = "required field missing"
_FORMAT_WORDS = {"%Y": "YYYY", "%m": "MM", "%d": "DD", "%y": "YY", "%b": "Mon", "%B": "Month"}


def lit(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def show_format(date_format: str) -> str:
    """`%m/%d/%Y` -> `MM/DD/YYYY`, for reasons a coordinator can read."""
    for code, word in _FORMAT_WORDS.items():
        date_format = date_format.replace(code, word)
    return date_format


def _cleaned(column: Column, layout: Layout, present: set[str], ref: str) -> str:
    """The cleaned text value of one contract column, read from `<ref><name>`."""
    value = "null::varchar" if column.name not in present else f"nullif({ref}{column.name}, '')"
    crosswalk = layout.codes.get(column.name)
    if crosswalk and column.name in present:
        whens = " ".join(f"when {lit(k)} then {lit(v)}" for k, v in crosswalk.items())
        value = f"case {value} {whens} else {value} end"
    return value


def _typed(column: Column, layout: Layout, record_type: str) -> str:
    """The raw-layer value of one cleaned column (the column of that name in `cleaned`).
    Only rows whose checks pass are loaded, so a NULL here means the value was missing."""
    ref = column.name
    if column.kind == "date":
        return date_sql(ref, layout.date_format)
    if record_type == "students" and column.name == "action":
        return f"coalesce({ref}, 'U')"
    if sql_type(column) != "varchar":
        return f"try_cast({ref} as {sql_type(column)})"
    return ref


def _digits(v: str, count: str = "+") -> str:
    """True when a text holds only ASCII digits (`count`: a regular-expression quantifier)."""
    return f"regexp_full_match({v}, '[0-9]{count}')"


def date_sql(v: str, date_format: str) -> str:
    """The DATE of a text in the layout's format (NULL when it is not one)."""
    parsed = f"try_strptime({v}, {lit(date_format)})::date"
    if date_format == CANONICAL_DATE_FORMAT:  # exactly YYYY-MM-DD, no single-digit parts
        return f"case when strlen({v}) = 10 then {parsed} end"
    return parsed


def _rules(
    column: Column, layout: Layout, record_type: str, nul_bytes: bool = True
) -> list[tuple[str, str]]:
    """(condition that is true when the value breaks a rule, reason), in the order checked.

    Conditions use only functions that never raise (SQL does not promise to stop at the first
    false operand of AND)."""
    v = column.name
    rules = []
    if column.kind == "text" and nul_bytes:
        rules.append((f"contains({v}, chr(0))", "contains a NUL character"))
    if column.required:
        missing = f"{v} is null"
        if record_type == "students" and v != "state_student_id":
            missing += " and coalesce(action, 'U') <> 'D'"  # a delete names only the student
        rules.append((missing, MISSING))
    if column.max_length:
        rules.append(
            (f"length({v}) > {column.max_length}", f"too long (max {column.max_length} characters)")
        )
    elif column.kind == "text":
        rules.append((f"strlen({v}) > {MAX_TEXT}", f"too long (max {MAX_TEXT} bytes)"))
    if column.kind == "date":
        rules.append(
            (
                f"t_{v} is null",
                f"bad date (expected {show_format(layout.date_format)})",
            )
        )
    elif column.kind == "month":
        shape = f"regexp_full_match({v}, '[0-9]{{4}}-(0[1-9]|1[0-2])')"
        rules.append(
            (
                f"not ({shape} and substr({v}, 6, 2) between '01' and '12')",
                "bad month (expected YYYY-MM)",
            )
        )
    elif column.kind in ("code", "flag"):
        codes = ", ".join(lit(c) for c in column.codes)
        rules.append(
            (f"{v} not in ({codes})", f"bad code (expected one of {' '.join(column.codes)})")
        )
    elif column.kind == "digits":
        rules.append(
            (
                f"not {_digits(v, '{' + str(column.digits) + '}')}",
                f"wrong type (expected {column.digits} digits)",
            )
        )
    elif column.kind == "decimal":
        shape = f"regexp_full_match({v}, '[0-9]{{0,2}}([.][0-9]{{1,2}})?')"
        rules.append(
            (
                f"not ({shape} and coalesce(try_cast({v} as double) between {column.minimum} and {column.maximum}, false))",
                f"wrong type (expected a number {column.minimum:g} to {column.maximum:g} with at most 2 decimals)",
            )
        )
    elif column.kind == "integer":
        rules.append(
            (
                f"not ({_digits(v, '{1,9}')} "
                f"and coalesce(try_cast({v} as bigint) between {column.minimum} and {column.maximum}, false))",
                f"wrong type (expected a whole number {column.minimum:g} to {column.maximum:g})",
            )
        )
    if v == "school_year":
        rules.append(
            (
                f"not (regexp_full_match({v}, '[0-9]{{4}}-[0-9]{{4}}') "
                f"and coalesce(try_cast(right({v}, 4) as integer) = try_cast(left({v}, 4) as integer) + 1, false))",
                "bad school year (expected YYYY-YYYY of consecutive years)",
            )
        )
    return rules


def _problem(record_type: str, layout: Layout, nul_bytes: bool) -> str:
    """`field<TAB>reason` of the first broken rule of a cleaned row, NULL when none.
    Without `nul_bytes` (the file holds no NUL byte) the NUL rules are left out."""
    whens = []
    for column in COLUMNS[record_type]:
        for condition, reason in _rules(column, layout, record_type, nul_bytes):
            if reason != MISSING:  # every other rule is about a value that is there
                condition = f"{column.name} is not null and ({condition})"
            whens.append(f"when {condition} then {lit(column.name + chr(9) + reason)}")
    if nul_bytes:
        nul = lit("extra" + chr(9) + "contains a NUL character")
        whens.append(f"when contains(extra, chr(0)) then {nul}")
    whens.append(
        f"when length(extra) > {MAX_EXTRA} then {lit('extra' + chr(9) + 'unknown columns too long')}"
    )
    return "case " + "\n    ".join(whens) + " end"


def checked_select(
    record_type: str, layout: Layout, present: set[str], source: str, nul_bytes: bool = True
) -> str:
    """A SELECT over `source` (staged text): `line_no`, `extra`, the typed values (`t_<column>`),
    the text as read (`r_<column>`, broken rows only) and `problem`, the first broken rule of
    the row (NULL for a good row). Each value is parsed once, here; the load copies the typed
    values."""
    columns = COLUMNS[record_type]
    raw = "".join(f", src.{c} as r_{c}" for c in sorted(present))
    cleaned = ",\n    ".join(f"{_cleaned(c, layout, present, 'src.')} as {c.name}" for c in columns)
    typed = ",\n    ".join(f"{_typed(c, layout, record_type)} as t_{c.name}" for c in columns)
    kept = "".join(f", r_{c}" for c in sorted(present))
    kept += "".join(f", t_{c.name}" for c in columns)
    # the text as read is kept for broken rows only (quarantine's `record`): less to store
    broken_only = "".join(
        f", case when problem is not null then r_{c} end as r_{c}" for c in sorted(present)
    )
    typed_kept = "".join(f", t_{c.name}" for c in columns)
    return (
        f"with cleaned as (\n  select src.line_no, src.extra{raw},\n    {cleaned}\n"
        f"  from {source} as src\n),\n"
        f"typed as (\n  select *,\n    {typed}\n  from cleaned\n),\n"
        f"checked as (\n  select line_no, extra{kept},\n"
        f"  {_problem(record_type, layout, nul_bytes)} as problem\n  from typed\n)\n"
        f"select line_no, extra{typed_kept}{broken_only}, problem from checked"
    )


def insert_loaded_sql(
    record_type: str, checked: str, line_no: str, lineage: tuple[str, str, str, datetime]
) -> str:
    """Insert the good rows of a checked table into `raw.<type>` with lineage
    (`lineage` = load id, file name, state, stamp; `line_no` = SQL for the row's line)."""
    load_id, file_name, state, stamp = lineage
    typed = ", ".join(f"c.t_{col.name}" for col in COLUMNS[record_type])
    return (
        f"insert into raw.{record_type}\n"
        f"select {lit(load_id)}, {lit(file_name)}, {line_no}, {lit(state)}, "
        f"{lit(stamp.isoformat(sep=' '))}::timestamp,\n  {typed}, c.extra::json\n"
        f"from {checked} as c where c.problem is null"
    )


def insert_quarantine_sql(
    record_type: str,
    present: set[str],
    checked: str,
    line_no: str,
    lineage: tuple[str, str, str, datetime],
) -> str:
    """Insert the broken rows of a checked table into `raw.quarantine` with field and reason;
    `record` is the row as read (contract columns and unknown columns)."""
    load_id, file_name, state, _stamp = lineage
    pairs = ", ".join(f"{lit(col)}, c.r_{col}" for col in sorted(present))
    read = f"json_object({pairs})"
    record = (
        f"case when c.extra is null then {read} else json_merge_patch({read}, c.extra::json) end"
    )
    sid = "c.r_state_student_id" if "state_student_id" in present else "null"
    return (
        "insert into raw.quarantine\n"
        f"select {lit(load_id)}, {lit(file_name)}, {lit(record_type)}, {line_no}, {lit(state)}, "
        f"nullif(trim({sid}), ''), split_part(c.problem, chr(9), 1), split_part(c.problem, chr(9), 2),\n"
        f"  {record}\nfrom {checked} as c where c.problem is not null"
    )
