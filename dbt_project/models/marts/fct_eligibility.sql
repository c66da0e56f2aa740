-- One row per qualifying move that counts now: the eligibility period it opens (derived by the
-- rule) beside the state's own value, and whether it is the child's current period.

with

periods as (

    select * from {{ ref('int_eligibility_linked') }}

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

    from periods

)

select * from final
