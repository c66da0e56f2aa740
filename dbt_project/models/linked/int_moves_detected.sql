-- Moves of each child, detected from qualifying moves (COE: QAD and move-from) and from
-- enrollment sequences (an enrollment in another state or district after one elsewhere), merged
-- so a move both sources see is one row; plus departures with no arrival anywhere (lost).
-- Incremental by national ID (incremental_records.sql): a delta rebuilds the children whose
-- records, links or lost-departure deadline (as_of_affected.sql) changed.

{{ incremental_identities_config('moves,enrollments', 'lost_departures') }}

with

xwalk as (

    select resolved.* from {{ ref('int_xwalk_resolved') }} as resolved
    {{ incremental_children_filter('resolved.msix_id') }}

),

coe_moves as (

    select distinct on (xwalk.msix_id, moves.move_to_state, moves.qad)
        xwalk.msix_id,
        case
            when coalesce(upper(moves.move_from_country), 'US') in ('US', 'USA') then upper(moves.move_from_state)
        end as from_state,
        upper(moves.move_from_country) as from_country,
        upper(moves.move_to_state) as to_state,
        moves.qad as arrival_date

    from {{ ref('int_moves_current') }} as moves
    inner join xwalk
        on
            moves.state = xwalk.state
            and moves.state_student_id = xwalk.state_student_id
    -- a QAD after the submission's own extract time cannot be an arrival yet (a data error the
    -- quality checks report); the enrollments still show the move
    where moves.qad <= cast(moves.stamp as date)
    order by xwalk.msix_id, moves.move_to_state, moves.qad, moves.move_from_state nulls last

),

enrollments as (

    select
        xwalk.msix_id,
        enrollments.state,
        enrollments.district_id,
        enrollments.school_id,
        enrollments.enrollment_date,
        enrollments.withdrawal_date

    from {{ ref('int_enrollments_current') }} as enrollments
    inner join xwalk
        on
            enrollments.state = xwalk.state
            and enrollments.state_student_id = xwalk.state_student_id

),

enrollment_sequence as (

    select
        *,
        lag(state) over child_history as previous_state,
        lag(district_id) over child_history as previous_district_id,
        lag(enrollment_date) over child_history as previous_enrollment_date,
        lag(withdrawal_date) over child_history as previous_withdrawal_date

    from enrollments
    window child_history as (
        partition by msix_id
        order by enrollment_date, withdrawal_date nulls last, state, school_id
    )

),

enrollment_moves as (

    select
        msix_id,
        previous_state as from_state,
        state as to_state,
        previous_withdrawal_date as departure_date,
        enrollment_date as arrival_date

    from enrollment_sequence
    where
        previous_state is not null
        and (previous_state <> state or previous_district_id is distinct from district_id)
        -- two enrollments that start the same day (two records of one child, two schools at
        -- once) are one arrival, not a move from the first to the second
        and previous_enrollment_date < enrollment_date

),

candidate_pairs as (

    select
        coe_moves.msix_id,
        coe_moves.to_state,
        coe_moves.arrival_date as qad,
        enrollment_moves.arrival_date as enrollment_date,
        abs(enrollment_moves.arrival_date - coe_moves.arrival_date) as days_apart

    from coe_moves
    inner join enrollment_moves
        on
            coe_moves.msix_id = enrollment_moves.msix_id
            and coe_moves.to_state = enrollment_moves.to_state
            and (coe_moves.from_state is null or coe_moves.from_state = enrollment_moves.from_state)
            and abs(enrollment_moves.arrival_date - coe_moves.arrival_date)
            <= {{ var('move_match_window_days') }}

),

matched_pairs as (

    -- each COE move and each enrollment move pairs at most once: the closest in time
    select * from candidate_pairs
    qualify
        row_number() over (partition by msix_id, to_state, qad order by days_apart, enrollment_date) = 1
        and row_number() over (partition by msix_id, to_state, enrollment_date order by days_apart, qad) = 1

),

merged as (

    select
        coalesce(coe_moves.msix_id, enrollment_moves.msix_id) as msix_id,
        coalesce(coe_moves.from_state, enrollment_moves.from_state) as from_state,
        coe_moves.from_country,
        coalesce(coe_moves.to_state, enrollment_moves.to_state) as to_state,
        enrollment_moves.departure_date,
        coalesce(coe_moves.arrival_date, enrollment_moves.arrival_date) as arrival_date,
        coe_moves.arrival_date as qad,
        enrollment_moves.arrival_date as first_enrollment_date,
        case
            when coe_moves.msix_id is not null and enrollment_moves.msix_id is not null then 'both'
            when coe_moves.msix_id is not null then 'qualifying_move'
            else 'enrollment_sequence'
        end as source

    from coe_moves
    left join matched_pairs
        on
            coe_moves.msix_id = matched_pairs.msix_id
            and coe_moves.to_state = matched_pairs.to_state
            and coe_moves.arrival_date = matched_pairs.qad
    full outer join enrollment_moves
        on
            matched_pairs.msix_id = enrollment_moves.msix_id
            and matched_pairs.to_state = enrollment_moves.to_state
            and matched_pairs.enrollment_date = enrollment_moves.arrival_date

),

with_departures as (

    -- a COE-only move: the last withdrawal in the origin state before the arrival, when known
    select
        merged.* exclude (departure_date),
        coalesce(
            merged.departure_date,
            (
                select max(enrollments.withdrawal_date)
                from enrollments
                where
                    enrollments.msix_id = merged.msix_id
                    and enrollments.state = merged.from_state
                    and enrollments.withdrawal_date <= merged.arrival_date
            )
        ) as departure_date

    from merged

),

last_enrollments as (

    select
        *,
        max(coalesce(withdrawal_date, date '9999-12-31')) over (partition by msix_id) as child_last_day,
        max(enrollment_date) over (partition by msix_id) as child_last_start

    from enrollments

),

lost_departures as (

    -- the child's latest enrollment ended, nothing started after it and no COE arrival followed
    select
        msix_id,
        state as from_state,
        null as from_country,
        null as to_state,
        withdrawal_date as departure_date,
        null as arrival_date,
        null as qad,
        null as first_enrollment_date,
        'departure_without_arrival' as source

    from last_enrollments
    where
        withdrawal_date is not null
        and withdrawal_date = child_last_day
        and child_last_start <= withdrawal_date
        and withdrawal_date + {{ var('lost_after_days') }} <= {{ as_of_date() }}
        and not exists (
            select 1
            from coe_moves
            where
                coe_moves.msix_id = last_enrollments.msix_id
                and coe_moves.arrival_date > last_enrollments.withdrawal_date
        )
    qualify row_number() over (partition by msix_id order by state, school_id) = 1

),

all_moves as (

    select
        msix_id,
        from_state,
        from_country,
        to_state,
        departure_date,
        arrival_date,
        qad,
        first_enrollment_date,
        source

    from with_departures

    union all

    select * from lost_departures

)

select
    {{ surrogate_key(['msix_id', 'from_state', 'to_state', 'departure_date', 'arrival_date', 'source']) }} as move_id,
    *,
    coalesce(from_state <> to_state, false) as is_interstate,
    coalesce(first_enrollment_date, arrival_date) - departure_date as gap_days,
    to_state is null
    or coalesce(first_enrollment_date, arrival_date) - departure_date > {{ var('lost_after_days') }}
        as no_arrival_within_window

from all_moves
