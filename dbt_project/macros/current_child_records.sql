{#-
    The rows of one child record type (moves, enrollments, courses, assessments) that count now,
    after deltas, deletes and late files (../shared/spec/state-files.md §2):

    - per (state, state_student_id) the list of type T is the rows of the latest-stamp submission
      that carried any T rows for that student, whatever order the files arrived in;
    - a student's `D` retracts that state's records of every type submitted up to the deletion:
      the list counts only when its stamp is after the student's last `D`;
    - identical rows (the same file twice, or the same record twice in one submission) count once:
      one row per natural key, the first by load and line (in a delta only the keys that occur
      more than once are ranked: NULLs in a key column are equal, as in the window's partitions).

    Incremental by state record (incremental_records.sql, rule 'latest_list'): a delta rebuilds
    only the records whose current rows it changes, from their new rows. The calling model sets
    `{{ incremental_records_config(raw_table, 'latest_list') }}`.
-#}
{% macro current_child_records(child_model, key_columns, key_name) %}

with

child_rows as (

    {{ incremental_records_rows(ref(child_model)) }}

),

last_deletions as (

    select
        state,
        state_student_id,
        max(stamp) as deleted_at

    from {{ ref('stg_students') }} as student_source
    {{ incremental_records_filter('student_source', 'rebuilt') }}
    {{ 'and' if is_incremental() else 'where' }} student_source.is_deletion
    group by state, state_student_id

),

latest_submissions as (

    -- read from the model, not from child_rows: a second reader of child_rows would make
    -- DuckDB materialize every column of it (about a quarter of a full build's time)
    select
        state,
        state_student_id,
        max(stamp) as stamp

    from ({{ incremental_records_rows(ref(child_model)) }}) as submission_source
    group by state, state_student_id

),

current_rows as (

    select child_rows.*

    from child_rows
    inner join latest_submissions
        on
            child_rows.state = latest_submissions.state
            and child_rows.state_student_id = latest_submissions.state_student_id
            and child_rows.stamp = latest_submissions.stamp
    left join last_deletions
        on
            child_rows.state = last_deletions.state
            and child_rows.state_student_id = last_deletions.state_student_id
    where
        last_deletions.deleted_at is null
        or child_rows.stamp > last_deletions.deleted_at

),

{%- if this is not none and is_incremental() %}

-- a delta: only the keys found twice go through the window (grouping the week's rows by their
-- key costs a fraction of partitioning them all by it: 1 M weekly delta, 770,213 course rows)
duplicated_keys as (

    select state, {{ key_columns | join(', ') }}
    from current_rows
    group by all
    having count(*) > 1

),

{%- set key_is_duplicated %}
    exists (
        select 1 from duplicated_keys
        where {{ same_combination(['state'] + key_columns, 'duplicated_keys', 'current_rows') }}
    )
{%- endset %}

deduplicated as (

    select * from current_rows
    where not {{ key_is_duplicated }}
    union all
    select * from current_rows
    where {{ key_is_duplicated }}
    qualify row_number() over (
        partition by state, {{ key_columns | join(', ') }}
        order by load_id, line_no
    ) = 1

)
{%- else %}

deduplicated as (

    select * from current_rows
    qualify row_number() over (
        partition by state, {{ key_columns | join(', ') }}
        order by load_id, line_no
    ) = 1

)
{%- endif %}

select
    {{ surrogate_key(['state'] + key_columns) }} as {{ key_name }},
    *
from deduplicated

{% endmacro %}
