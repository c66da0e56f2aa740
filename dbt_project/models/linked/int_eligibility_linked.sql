-- The eligibility periods of int_eligibility_periods with the child's national ID, and which
-- period is the child's latest and whether it is open on the as-of date.
-- A view: fct_eligibility is its one reader (a 1:1 projection, rebuilt in full each run since
-- the as-of date is in every row), so a table here was the same 3.6 M rows written twice at
-- national scale; fct_eligibility's tests check its key.

{{ config(materialized='view') }}

with

periods as (

    select * from {{ ref('int_eligibility_periods') }}

),

xwalk as (

    select * from {{ ref('int_xwalk_resolved') }}

),

linked as (

    select
        xwalk.msix_id,
        periods.*,
        {{ as_of_date() }} as as_of_date

    from periods
    inner join xwalk
        on
            periods.state = xwalk.state
            and periods.state_student_id = xwalk.state_student_id

)

select
    *,
    qad <= as_of_date and eligibility_expiration_date >= as_of_date as is_current,
    row_number() over (
        -- the key last: two periods of one state with the same dates (two records of the child
        -- in that state) would otherwise be flagged by chance, differently build to build
        partition by msix_id
        order by qad desc, eligibility_expiration_date desc, state asc, move_record_key asc
    ) = 1 as is_latest_for_child

from linked
