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

-- one row per record whose list counts: its latest submission, unless a later `D` retracted it
current_submissions as (

    select
        latest_submissions.state,
        latest_submissions.state_student_id,
        latest_submissions.stamp

    from latest_submissions
    left join last_deletions
        on
            latest_submissions.state = last_deletions.state
            and latest_submissions.state_student_id = last_deletions.state_student_id
    where
        last_deletions.deleted_at is null
        or latest_submissions.stamp > last_deletions.deleted_at

),

-- a semi join on the records' few current submissions (joining the rows to them, every column
-- of the rows went into the join: about 1 s of CPU on the weekly delta's 770,213 course rows)
current_rows as (

    select child_rows.*

    from child_rows
    where exists (
        select 1 from current_submissions
        where
            current_submissions.state = child_rows.state
            and current_submissions.state_student_id = child_rows.state_student_id
            and current_submissions.stamp = child_rows.stamp
    )

),

{%- if this is not none and is_incremental() %}

-- a delta: only the rows whose key is found twice go through the window (grouping the week's
-- rows by their key costs a fraction of partitioning them all by it: 1 M weekly delta, 770,213
-- course rows). Found by the key's hash: one integer to group and look up instead of the key's
-- columns (half the model's CPU); rows whose hashes collide without equal keys go through the
-- window too and come out alone in their partition, as they would have
{%- set key_hash = 'hash(state, ' ~ key_columns | join(', ') ~ ')' %}
duplicated_keys as (

    select {{ key_hash }} as key_hash
    from current_rows
    group by key_hash
    having count(*) > 1

),

deduplicated as (

    select * from current_rows
    where {{ key_hash }} not in (select duplicated_keys.key_hash from duplicated_keys)
    union all
    select * from current_rows
    where {{ key_hash }} in (select duplicated_keys.key_hash from duplicated_keys)
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
