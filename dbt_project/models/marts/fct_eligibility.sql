-- One row per qualifying move that counts now: the eligibility period it opens (derived by the
-- rule) beside the state's own value, and whether it is the child's current period.
-- Incremental by national ID (incremental_records.sql): a delta rebuilds the children whose
-- move records, links or students' birth dates (student_values.sql; all it reads of the
-- students, through int_eligibility_periods) changed or whose student record was retracted,
-- or whose is_current the new as-of date can change (as_of_affected.sql, rule 'eligibility');
-- the post-hook moves every other row's as_of_date to this build's, the one value of theirs
-- the new date changes.

{{ incremental_identities_config('moves', 'eligibility', 'birth_date') }}
{{ config(post_hook="{{ move_as_of_date(this) }}") }}

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
    {{ incremental_children_filter('xwalk.msix_id') }}

),

flagged as (

    select
        *,
        qad <= as_of_date and eligibility_expiration_date >= as_of_date as is_current,
        row_number() over (
            -- the key last: two periods of one state with the same dates (two records of the
            -- child in that state) would otherwise be flagged by chance, differently build to
            -- build
            partition by msix_id
            order by qad desc, eligibility_expiration_date desc, state asc, move_record_key asc
        ) = 1 as is_latest_for_child

    from linked

),

final as (

    select
        cast(move_record_key as varchar) as move_record_key,
        cast(msix_id as varchar) as msix_id,
        cast(state as varchar) as state,
        cast(state_student_id as varchar) as state_student_id,
        cast(qad as date) as qad,
        cast(birth_date as date) as birth_date,
        cast(qad_expiration_date as date) as qad_expiration_date,
        cast(age_out_date as date) as age_out_date,
        cast(eligibility_expiration_date as date) as eligibility_expiration_date,
        cast(expiration_reason as varchar) as expiration_reason,
        cast(state_expiration_date as date) as state_expiration_date,
        has_state_expiration_conflict,
        cast(as_of_date as date) as as_of_date,
        is_current,
        is_latest_for_child

    from flagged

)

select * from final
