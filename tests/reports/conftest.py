"""A small handcrafted warehouse with the contract relations the analyst side reads.

Built with set-based SQL (generate_series, VALUES) in a temporary DuckDB file. It plants
recognisable names and birth dates so tests can prove they never reach an analyst page, a
retired national ID that must resolve to its survivor, and small cells that must be suppressed.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from msix.settings import Settings, get_settings

SURVIVOR = "100000000001"
RETIRED = "100000000099"
PLANTED_NAMES = ("Zorblattia", "Quexotlan", "Vrimmelsen", "Parentina", "Mariquita")
PLANTED_BIRTH_DATES = ("2008-02-29", "2009-11-13")

WAREHOUSE_SQL = f"""
create schema raw; create schema marts; create schema identity; create schema intermediate;

create table raw.load_manifest as
select * from (values
    ('TX_students_20250901T120000.csv', 'loaded', 'TX', 120, 118, 2, null, timestamp '2025-09-02 08:00:00'),
    ('MI_students_20250901T120000.csv', 'loaded', 'MI', 40, 40, 0, null, timestamp '2025-09-02 08:01:00'),
    ('FL_courses_20250901T120000.csv', 'rejected', 'FL', 0, 0, 0, 'header misses course_title', timestamp '2025-09-02 08:02:00'),
    ('TX_students_copy.csv', 'duplicate', 'TX', 0, 0, 0, null, timestamp '2025-09-02 08:03:00')
) t(file_name, status, state, rows_read, rows_loaded, rows_quarantined, reason, loaded_at);
alter table raw.load_manifest add column checksum varchar default 'sha';
alter table raw.load_manifest add column stamp timestamp default timestamp '2025-09-01 12:00:00';

create table marts.dim_student as
select lpad(cast(100000000000 + i as varchar), 12, '0') as msix_id,
       'Zorblattia' || i as first_name, 'Quexotlan' as last_name_1, 'Vrimmelsen' as last_name_2,
       date '2008-02-29' as birth_date, 'F' as sex, 'N' as multiple_birth,
       ['TX', 'MI'] as states, i = 1 as has_conflicts, i = 1 as first_name_has_conflict,
       false as birth_date_has_conflict
from generate_series(1, 60) s(i);

create table identity.national_ids as
select msix_id, 'active' as status, null as merged_into from marts.dim_student
union all select '{RETIRED}', 'retired', '{SURVIVOR}';

create table marts.xwalk_student_identity as
select * from (values ('TX', 'TX001', '{SURVIVOR}'), ('MI', 'MI777', '{SURVIVOR}'),
                      ('TX', 'TX099', '{SURVIVOR}')) t(state, state_student_id, msix_id);

create table intermediate.int_student_records_latest as
select * from (values
    ('TX', 'TX001', timestamp '2025-09-01 12:00:00', false, null, 'Mariquita', 'Quexotlan', 'Vrimmelsen', 'F', date '2009-11-13', 'Parentina'),
    ('MI', 'MI777', timestamp '2025-09-01 12:00:00', false, '{SURVIVOR}', 'Maria', 'Quexotlan', null, 'F', date '2009-11-13', 'Parentina')
) t(state, state_student_id, stamp, is_deleted, msix_id, first_name, last_name_1, last_name_2, sex, birth_date, parent1_first_name);


create table marts.fct_enrollment as
select * from (values
    ('{SURVIVOR}', 'MI', '261234567890', '01', date '2025-06-10', null, '10'),
    ('{SURVIVOR}', 'TX', '481234567890', '01', date '2024-08-20', date '2025-05-02', '09')
) t(msix_id, state, school_id, enrollment_type, enrollment_date, withdrawal_date, grade_level);

create table marts.fct_move as
select '{SURVIVOR}' as msix_id, 'TX' as from_state, 'MI' as to_state,
       date '2025-05-02' as departure_date, date '2025-06-10' as arrival_date,
       true as is_interstate, 39 as gap_days, 'enrollment' as source;

create table marts.fct_course as
select case when i <= 30 then '{SURVIVOR}' else lpad(cast(100000000000 + i as varchar), 12, '0') end
           as msix_id,
       case when i % 10 = 0 then 'MI' else 'TX' end as state, '481234567890' as school_id,
       '2024-2025' as school_year, 'FULL' as term_type, 'Algebra I' as course_title,
       '02' as subject_area, 1.00::decimal(4,2) as credits_attempted,
       1.00::decimal(4,2) as credits_granted, 'A' as final_grade, 'N' as in_progress
from generate_series(1, 60) s(i);

create table marts.fct_assessment as
select '{SURVIVOR}' as msix_id, 'TX' as state, 'STAAR Algebra' as assessment_title,
       'math' as content_area, date '2025-04-01' as administration_date, '4012' as score,
       'meets' as interpretation;

create table marts.rpt_moves_monthly as
select * from (values
    ('TX', 'MI', date '2025-05-01', 25, false),
    ('TX', 'MI', date '2025-06-01', null, true),
    ('FL', 'NY', date '2025-06-01', 12, false),
    ('CA', 'WA', date '2025-07-01', null, true),
    ('CA', 'OR', date '2025-07-01', 4, false),
    ('TX', 'TX', date '2025-07-01', 30, false)
) t(from_state, to_state, month, moves, is_suppressed);
alter table marts.rpt_moves_monthly add column suppression_reason varchar default 'small cell';

create table marts.rpt_credit_accrual as
select lpad(cast(100000000000 + i as varchar), 12, '0') as msix_id,
       cast(i % 20 as decimal(6,2)) as credits_granted_total,
       cast(i % 3 as decimal(6,2)) as credits_in_progress,
       cast(i % 20 + 1 as decimal(6,2)) as credits_attempted_total, 3 as courses_total,
       cast(i % 5 as decimal(6,2)) as credits_math,
       cast(i % 4 as decimal(6,2)) as credits_english,
       case when i <= 3 then ['MI'] else ['TX'] end as states
from generate_series(1, 60) s(i);

create table marts.dq_issue as
select 'dq' || i as issue_id, 'missing_withdrawal' as rule,
       case when i <= 3 then 'error' else 'warning' end as severity,
       case when i <= 15 then 'TX' else 'MI' end as state,
       '{SURVIVOR}' as msix_id, null as state_student_id, 'enrollment overlaps' as detail,
       date '2025-09-01' as first_seen, date '2025-09-02' as last_seen,
       case when i <= 18 then 'open' else 'closed' end as status
from generate_series(1, 20) s(i);
"""


def build_warehouse(path: Path, without: tuple[str, ...] = ()) -> Path:
    """Write the handcrafted warehouse to `path`, leaving out the named relations."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    try:
        con.execute(WAREHOUSE_SQL)
        for relation in without:
            con.execute(f"drop table {relation}")
    finally:
        con.close()
    return path


@pytest.fixture
def analyst_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings pointing at a fresh handcrafted warehouse; the site goes beside it."""
    monkeypatch.delenv("MSIX_REPORTS", raising=False)
    monkeypatch.setenv("MSIX_MIN_CELL_SIZE", "10")
    warehouse = build_warehouse(tmp_path / "wh" / "msix.duckdb")
    return get_settings(warehouse=warehouse)


@pytest.fixture
def make_warehouse() -> object:
    """The builder itself, for tests that need a variant (a lower minimum, missing relations)."""
    return build_warehouse


@pytest.fixture
def planted() -> tuple[str, ...]:
    """Names and birth dates planted in the warehouse that no analyst page may show."""
    return (*PLANTED_NAMES, *PLANTED_BIRTH_DATES)
