-- One row per detected move of a child (see int_moves_detected), with the gap in calendar and
-- working days between leaving the old place and enrolling in the new one.
-- Incremental by national ID, as int_moves_detected (incremental_records.sql); a delta right
-- after int_moves_detected's rebuilds the children it rebuilt (upstream_builds.sql).
-- depends_on: {{ ref('int_enrollments_current') }}

{{ incremental_identities_config('moves,enrollments', 'lost_departures', projection_of='int_moves_detected') }}

with

moves as (

    select detected.* from {{ ref('int_moves_detected') }} as detected
    {{ incremental_children_filter('detected.msix_id') }}

),

calendar as (

    select * from {{ ref('dim_date') }}

),

final as (

    select
        cast(moves.move_id as varchar) as move_id,
        cast(moves.msix_id as varchar) as msix_id,
        cast(moves.from_state as varchar) as from_state,
        cast(moves.from_country as varchar) as from_country,
        cast(moves.to_state as varchar) as to_state,
        cast(moves.departure_date as date) as departure_date,
        cast(moves.arrival_date as date) as arrival_date,
        cast(moves.qad as date) as qad,
        cast(moves.first_enrollment_date as date) as first_enrollment_date,
        moves.is_interstate,
        cast(moves.gap_days as integer) as gap_days,
        cast(arrived.working_day_index - departed.working_day_index as integer) as gap_working_days,
        coalesce(moves.no_arrival_within_window, false) as no_arrival_within_window,
        cast(moves.source as varchar) as source

    from moves
    left join calendar as departed
        on moves.departure_date = departed.date_day
    left join calendar as arrived
        on coalesce(moves.first_enrollment_date, moves.arrival_date) = arrived.date_day

)

select * from final
