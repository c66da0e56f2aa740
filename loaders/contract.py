"""The input contract (../shared/spec/state-files.md) as data.

One `Column` per contract column, grouped by record type. The loaders validate against it,
the generator writes to it, and the quality suites read it; nothing else restates it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["text", "date", "month", "flag", "code", "decimal", "integer", "digits"]

RECORD_TYPES: tuple[str, ...] = ("students", "moves", "enrollments", "courses", "assessments")

STATES: tuple[str, ...] = (
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN",
    "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH",
    "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "PR", "RI", "SC", "SD", "TN", "TX",
    "UT", "VT", "VA", "WA", "WV", "WI", "WY",
)  # fmt: skip

ENROLLMENT_TYPES = ("01", "02", "03", "04", "05")
GRADE_LEVELS = ("IT", "PR", "PK", "KG", *(f"{g:02d}" for g in range(1, 13)), "UG", "OS")
TERM_TYPES = (
    "FULL", "SEM1", "SEM2", "TRI1", "TRI2", "TRI3", "QTR1", "QTR2", "QTR3", "QTR4", "SUMR", "INTR", "OTHR",
)  # fmt: skip
SUBJECT_AREAS = ("01", "02", "03", "04", "05", "07", "08", *(f"{n:02d}" for n in range(10, 25)))
COURSE_TYPES = ("RG", "HN", "AP", "IB", "DE", "CR", "CT", "SE", "EL", "OT")
SEXES = ("F", "M", "X")
ACTIONS = ("I", "U", "D")
FLAGS = ("Y", "N")
MEDICAL_ALERTS = ("C", "A", "N")


@dataclass(frozen=True)
class Column:
    """One contract column: its name, kind, whether a row needs it, and its rule."""

    name: str
    kind: Kind = "text"
    required: bool = False
    codes: tuple[str, ...] = ()
    max_length: int | None = None
    digits: int | None = None  # exact digit count for kind "digits"
    minimum: float | None = None
    maximum: float | None = None


def _text(name: str, required: bool = False, max_length: int | None = None) -> Column:
    return Column(name, "text", required, max_length=max_length)


COLUMNS: dict[str, tuple[Column, ...]] = {
    "students": (
        _text("state_student_id", True, 15),
        Column("action", "code", codes=ACTIONS),
        Column("msix_id", "digits", digits=12),
        _text("first_name", True),
        _text("middle_name"),
        _text("last_name_1", True),
        _text("last_name_2"),
        _text("suffix"),
        Column("sex", "code", True, codes=SEXES),
        Column("birth_date", "date", True),
        Column("multiple_birth", "flag", codes=FLAGS),
        _text("birth_city"),
        _text("birth_state"),
        _text("birth_country"),
        _text("parent1_first_name"),
        _text("parent1_last_name"),
        _text("parent2_first_name"),
        _text("parent2_last_name"),
    ),
    "moves": (
        _text("state_student_id", True, 15),
        Column("qad", "date", True),
        Column("lqm_date", "date"),
        _text("move_from_city"),
        _text("move_from_state"),
        _text("move_from_country"),
        _text("move_to_city"),
        _text("move_to_state"),
        Column("eligibility_expiration_date", "date"),
    ),
    "enrollments": (
        _text("state_student_id", True, 15),
        Column("school_id", "digits", True, digits=12),
        Column("district_id", "digits", digits=7),
        _text("school_name", True),
        Column("enrollment_type", "code", True, codes=ENROLLMENT_TYPES),
        Column("enrollment_date", "date", True),
        Column("withdrawal_date", "date"),
        Column("grade_level", "code", True, codes=GRADE_LEVELS),
        Column("residency_date", "date"),
        Column("lep", "flag", codes=FLAGS),
        Column("iep", "flag", codes=FLAGS),
        Column("pfs", "flag", codes=FLAGS),
        Column("medical_alert", "code", codes=MEDICAL_ALERTS),
        Column("immunization", "flag", codes=FLAGS),
    ),
    "courses": (
        _text("state_student_id", True, 15),
        Column("school_id", "digits", True, digits=12),
        Column("school_year", "text", True),  # YYYY-YYYY, checked by the loader
        Column("term_type", "code", True, codes=TERM_TYPES),
        _text("course_title", True),
        Column("subject_area", "code", True, codes=SUBJECT_AREAS),
        Column("course_type", "code", codes=COURSE_TYPES),
        _text("course_section"),
        Column("credits_attempted", "decimal", minimum=0, maximum=10),
        Column("credits_granted", "decimal", minimum=0, maximum=10),
        Column("clock_hours", "integer", minimum=0, maximum=1080),
        _text("grade_to_date"),
        _text("final_grade"),
        Column("in_progress", "flag", codes=FLAGS),
    ),
    "assessments": (
        _text("state_student_id", True, 15),
        _text("assessment_title", True),
        _text("content_area", True),
        _text("assessment_type"),
        Column("administration_date", "month", True),
        _text("score"),
        _text("interpretation"),
    ),
}

# Natural keys within one state's current records (../shared/spec/state-files.md §4).
KEYS: dict[str, tuple[str, ...]] = {
    "students": ("state_student_id",),
    "moves": ("state_student_id", "qad"),
    "enrollments": ("state_student_id", "school_id", "enrollment_date"),
    "courses": (
        "state_student_id",
        "school_id",
        "school_year",
        "term_type",
        "course_title",
        "course_section",
    ),  # fmt: skip
    "assessments": ("state_student_id", "assessment_title", "administration_date"),
}

# XML element name of one child record of <Student>, per record type.
XML_ELEMENTS: dict[str, str] = {
    "moves": "Move",
    "enrollments": "Enrollment",
    "courses": "Course",
    "assessments": "Assessment",
}


def pascal_case(name: str) -> str:
    """`state_student_id` -> `StateStudentId`: the XML element name of a CSV column."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def column_names(record_type: str) -> tuple[str, ...]:
    return tuple(c.name for c in COLUMNS[record_type])


def required_columns(record_type: str) -> tuple[str, ...]:
    return tuple(c.name for c in COLUMNS[record_type] if c.required)
