-- One row per (state, state_student_id) ever received: the version with the latest stamp,
-- whatever order the files arrived in. A `D` as the latest version marks the record deleted.
-- Incremental (incremental_records.sql, rule 'latest_version'): a delta rebuilds only the state
-- records whose latest version it changes, from their new rows.

{{ incremental_records_config('students', 'latest_version') }}

with

student_rows as (

    {{ incremental_records_rows(ref('stg_students')) }}

),

latest_versions as (

    select * from student_rows
    qualify row_number() over (
        partition by state, state_student_id
        order by stamp desc, load_id desc, line_no desc
    ) = 1

)

select
    state,
    state_student_id,
    stamp,
    is_deletion as is_deleted,
    msix_id,
    first_name,
    middle_name,
    last_name_1,
    last_name_2,
    suffix,
    sex,
    birth_date,
    multiple_birth,
    birth_city,
    birth_state,
    birth_country,
    parent1_first_name,
    parent1_last_name,
    parent2_first_name,
    parent2_last_name

from latest_versions
