-- One row per (state, state_student_id) in identity.xwalk with the national ID it resolves to
-- now: a retired ID is followed through merged_into to its surviving ID. Incremental by state
-- record: a delta rewrites the records whose row can change (incremental_crosswalk.sql).

{{ hooked_incremental_config('resolved_crosswalk') }}

with recursive

xwalk as (

    select xwalk.* from {{ source('identity', 'xwalk') }} as xwalk
    {{ incremental_records_filter('xwalk') }}

),

{{ survivors_cte() }},

resolved as (

    select
        xwalk.state,
        xwalk.state_student_id,
        coalesce(survivors.survivor_id, xwalk.msix_id) as msix_id,
        xwalk.msix_id as assigned_msix_id,
        xwalk.match_method,
        xwalk.assigned_at

    from xwalk
    left join survivors
        on xwalk.msix_id = survivors.msix_id

)

select * from resolved
