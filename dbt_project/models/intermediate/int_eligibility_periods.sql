-- One row per current qualifying move: the eligibility period it opens, derived by the rule,
-- beside the state's own expiration date. Incremental by state record (incremental_records.sql).

{{ incremental_records_config('students,moves') }}

with

moves as (

    select move_records.* from {{ ref('int_moves_current') }} as move_records
    {{ incremental_records_filter('move_records') }}

),

students as (

    select student_records.* from {{ ref('int_student_records_latest') }} as student_records
    {{ incremental_records_filter('student_records') }}

),

derived as (

    select
        moves.move_record_key,
        moves.state,
        moves.state_student_id,
        moves.qad,
        students.birth_date,
        moves.eligibility_expiration_date as state_expiration_date,
        {{ qad_expiration('moves.qad') }} as qad_expiration_date,
        {{ age_out_date('students.birth_date') }} as age_out_date

    from moves
    left join students
        on
            moves.state = students.state
            and moves.state_student_id = students.state_student_id

),

final as (

    select
        *,
        least(qad_expiration_date, coalesce(age_out_date, qad_expiration_date)) as eligibility_expiration_date,
        case
            when age_out_date < qad_expiration_date then 'turns 22'
            else '36 months after QAD'
        end as expiration_reason,
        coalesce(
            state_expiration_date is not null
            and state_expiration_date
            <> least(qad_expiration_date, coalesce(age_out_date, qad_expiration_date)),
            false
        ) as has_state_expiration_conflict

    from derived

)

select * from final
