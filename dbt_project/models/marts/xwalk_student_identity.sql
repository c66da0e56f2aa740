-- One row per (state, state_student_id) ever received: its national ID now, how it was
-- assigned, and whether the state still holds the record. Incremental by state record: a delta
-- rewrites the records of new student loads and those int_xwalk_resolved rewrote
-- (incremental_crosswalk.sql).

{{ hooked_incremental_config('crosswalk_records') }}

with

xwalk as (

    select xwalk.* from {{ ref('int_xwalk_resolved') }} as xwalk
    {{ incremental_records_filter('xwalk') }}

),

students as (

    select * from {{ ref('int_student_records_latest') }}

),

final as (

    select
        cast(xwalk.state as varchar) as state,
        cast(xwalk.state_student_id as varchar) as state_student_id,
        cast(xwalk.msix_id as varchar) as msix_id,
        cast(xwalk.assigned_msix_id as varchar) as assigned_msix_id,
        cast(xwalk.match_method as varchar) as match_method,
        cast(xwalk.assigned_at as timestamp) as assigned_at,
        cast(students.stamp as timestamp) as latest_stamp,
        coalesce(students.is_deleted, false) as is_deleted

    from xwalk
    left join students
        on
            xwalk.state = students.state
            and xwalk.state_student_id = students.state_student_id

)

select * from final
