-- One row per (state, state_student_id) in identity.xwalk with the national ID it resolves to
-- now: a retired ID is followed through merged_into to its surviving ID. Incremental by state
-- record: a delta rewrites the records whose row can change (incremental_crosswalk.sql).

{{ hooked_incremental_config('resolved_crosswalk') }}

with

xwalk as (

    select xwalk.* from {{ source('identity', 'xwalk') }} as xwalk
    {{ incremental_records_filter('xwalk') }}

),

-- the retired IDs and their survivors, followed by the pre-hook (merged_ids_table)
merged_ids as (

    select * from {{ crosswalk_bookkeeping() }}merged_ids

),

resolved as (

    select
        xwalk.state,
        xwalk.state_student_id,
        coalesce(merged_ids.survivor_id, xwalk.msix_id) as msix_id,
        xwalk.msix_id as assigned_msix_id,
        xwalk.match_method,
        xwalk.assigned_at

    from xwalk
    left join merged_ids
        on xwalk.msix_id = merged_ids.msix_id

)

select * from resolved
