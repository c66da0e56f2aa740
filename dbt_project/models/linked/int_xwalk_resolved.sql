-- One row per (state, state_student_id) in identity.xwalk with the national ID it resolves to
-- now: a retired ID is followed through merged_into to its surviving ID.

with recursive

xwalk as (

    select * from {{ source('identity', 'xwalk') }}

),

national_ids as (

    select * from {{ source('identity', 'national_ids') }}

),

survivors as (

    select
        msix_id,
        msix_id as survivor_id,
        0 as hops

    from national_ids
    where merged_into is null or status <> 'retired'

    union all

    select
        retired.msix_id,
        survivors.survivor_id,
        survivors.hops + 1 as hops

    from national_ids as retired
    inner join survivors
        on retired.merged_into = survivors.msix_id
    where retired.status = 'retired' and survivors.hops < 50

),

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
