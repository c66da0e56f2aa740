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
from loaders.layouts import Layout
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


def _cleaned(column: Column, layout: Layout, present: set[str]) -> str:
    """The cleaned text value of one contract column."""
    if column.name not in present:
        value = "null::varchar"
    else:
        value = f"nullif(trim(src.{column.name}), '')"
    crosswalk = layout.codes.get(column.name)
    if crosswalk and column.name in present:
        whens = " ".join(f"when {lit(k)} then {lit(v)}" for k, v in crosswalk.items())
        value = f"case {value} {whens} else {value} end"
    return value


def _typed(column: Column, layout: Layout, record_type: str) -> str:
    """The raw-layer value of one cleaned column (`c.<name>` in the checked relation)."""
    ref = f"c.{column.name}"
    if column.kind == "date":
        return f"try_strptime({ref}, {lit(layout.date_format)})::date"
    if record_type == "students" and column.name == "action":
        return f"coalesce({ref}, 'U')"
    if sql_type(column) != "varchar":
        return f"cast({ref} as {sql_type(column)})"
    return ref


def _rules(column: Column, layout: Layout, record_type: str) -> list[tuple[str, str]]:
    """(condition that is true when the value breaks a rule, reason), in the order checked."""
    v = column.name
    rules = [(f"contains({v}, chr(0))", "contains a NUL character")]
    if column.required:
        missing = f"{v} is null"
        if record_type == "students" and v != "state_student_id":
            missing += " and coalesce(action, 'U') <> 'D'"  # a delete names only the student
        rules.append((missing, MISSING))
    limit = column.max_length or MAX_TEXT
    rules.append((f"length({v}) > {limit}", f"too long (max {limit} characters)"))
    if column.kind == "date":
        fmt = lit(layout.date_format)
        rules.append(
            (
                f"try_strptime({v}, {fmt}) is null",
                f"bad date (expected {show_format(layout.date_format)})",
            )
        )
    elif column.kind == "month":
        rules.append(
            (
                f"not regexp_full_match({v}, '[0-9]{{4}}-(0[1-9]|1[0-2])')",
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
                f"not regexp_full_match({v}, '[0-9]{{{column.digits}}}')",
                f"wrong type (expected {column.digits} digits)",
            )
        )
    elif column.kind == "decimal":
        shape = f"regexp_full_match({v}, '[0-9]{{1,2}}(\\.[0-9]{{1,2}})?')"
        rules.append(
            (
                f"not ({shape} and cast({v} as double) between {column.minimum} and {column.maximum})",
                f"wrong type (expected a number {column.minimum:g} to {column.maximum:g} with at most 2 decimals)",
            )
        )
    elif column.kind == "integer":
        shape = f"regexp_full_match({v}, '[0-9]{{1,9}}')"
        rules.append(
            (
                f"not ({shape} and cast({v} as bigint) between {column.minimum} and {column.maximum})",
                f"wrong type (expected a whole number {column.minimum:g} to {column.maximum:g})",
            )
        )
    if v == "school_year":
        rules.append(
            (
                f"not (regexp_full_match({v}, '[0-9]{{4}}-[0-9]{{4}}') "
                f"and cast(right({v}, 4) as integer) = cast(left({v}, 4) as integer) + 1)",
                "bad school year (expected YYYY-YYYY of consecutive years)",
            )
        )
    return rules


def _problem(record_type: str, layout: Layout) -> str:
    """`field<TAB>reason` of the first broken rule of a cleaned row, NULL when none."""
    whens = []
    for column in COLUMNS[record_type]:
        for condition, reason in _rules(column, layout, record_type):
            if reason != MISSING:  # every other rule is about a value that is there
                condition = f"{column.name} is not null and ({condition})"
            whens.append(f"when {condition} then {lit(column.name + chr(9) + reason)}")
    whens.append(
        f"when contains(extra, chr(0)) then {lit('extra' + chr(9) + 'contains a NUL character')}"
    )
    whens.append(
        f"when length(extra) > {MAX_EXTRA} then {lit('extra' + chr(9) + 'unknown columns too long')}"
    )
    return "case " + "\n    ".join(whens) + " end"


def checked_select(record_type: str, layout: Layout, present: set[str], source: str) -> str:
    """A SELECT over `source` (staged text) with cleaned columns, `record` and `problem`."""
    cleaned = ",\n    ".join(
        f"{_cleaned(c, layout, present)} as {c.name}" for c in COLUMNS[record_type]
    )
    record_pairs = ", ".join(f"{lit(c)}, src.{c}" for c in sorted(present))
    record = f"json_object({record_pairs})" if present else "json_object()"
    return (
        f"with cleaned as (\n  select src.line_no,\n    {cleaned},\n"
        f"    src.extra, {record} as raw_record\n  from {source} as src\n)\n"
        f"select cleaned.*, {_problem(record_type, layout)} as problem from cleaned"
    )


def insert_loaded_sql(
    record_type: str,
    layout: Layout,
    checked: str,
    load_id: str,
    file_name: str,
    state: str,
    stamp: datetime,
) -> str:
    """Insert the good rows of a checked relation into `raw.<type>`, typed, with lineage."""
    typed = ", ".join(f"{_typed(c, layout, record_type)}" for c in COLUMNS[record_type])
    return (
        f"insert into raw.{record_type}\n"
        f"select {lit(load_id)}, {lit(file_name)}, c.line_no, {lit(state)}, "
        f"{lit(stamp.isoformat(sep=' '))}::timestamp,\n  {typed}, c.extra::json\n"
        f"from ({checked}) as c where c.problem is null"
    )


def insert_quarantine_sql(
    record_type: str, checked: str, load_id: str, file_name: str, state: str
) -> str:
    """Insert the broken rows of a checked relation into `raw.quarantine` with field and reason."""
    record = "case when c.extra is null then c.raw_record else json_merge_patch(c.raw_record, c.extra::json) end"
    return (
        "insert into raw.quarantine\n"
        f"select {lit(load_id)}, {lit(file_name)}, {lit(record_type)}, c.line_no, {lit(state)}, "
        "c.state_student_id, split_part(c.problem, chr(9), 1), split_part(c.problem, chr(9), 2),\n"
        f"  {record}\nfrom ({checked}) as c where c.problem is not null"
    )
