-- Credit accrual summary per state holding secondary students' course records: students,
-- credits granted and courses in progress, with counts below var min_cell_size suppressed.

with

accrual as (

    select * from {{ ref('rpt_credit_accrual') }}

),

per_state as (

    select
        unnest(states) as state,
        credits_granted_total,
        credits_in_progress

    from accrual

),

summarized as (

    select
        state,
        count(*) as secondary_students,
        sum(credits_granted_total) as credits_granted_sum,
        avg(credits_granted_total) as credits_granted_mean,
        sum(credits_in_progress) as courses_in_progress,
        count(*) < {{ var('min_cell_size') }} as is_small_cell

    from per_state
    group by state

),

final as (

    select
        cast(state as varchar) as state,
        cast(case when not is_small_cell then secondary_students end as bigint) as secondary_students,
        cast(case when not is_small_cell then credits_granted_sum end as decimal(12, 2)) as credits_granted_sum,
        cast(case when not is_small_cell then credits_granted_mean end as decimal(8, 2)) as credits_granted_mean,
        cast(case when not is_small_cell then courses_in_progress end as bigint) as courses_in_progress,
        is_small_cell as is_suppressed

    from summarized

)

select * from final
