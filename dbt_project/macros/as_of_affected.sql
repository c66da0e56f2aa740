{#-
    The state records whose rows in an as-of-dependent model can change when the as-of date
    moves from the one in `as_of_seen` (one row, one date: the last build's) to this build's,
    in either direction. Each rule lists the records with a date the move crosses:

    - lost_departures (int_moves_detected, fct_move): a departure without arrival needs its
      withdrawal_date + var lost_after_days on or before the as-of date, and the withdrawal to
      be its child's last day (no enrollment in any state ends later or is open) with no
      enrollment starting after it, neither of which depends on the as-of date: only those
      withdrawals count (checked on the current enrollments and crosswalk; a child whose
      enrollments or links changed is rebuilt anyway). At national scale a week crosses the
      withdrawals of ~100,000 children, of which a few hundred are their child's last;
    - eligibility (dim_student): a period is current when its QAD is on or before the as-of
      date and its eligibility_expiration_date on or after it.
-#}
{% macro as_of_affected_records(rule, as_of_seen) %}
    {%- if rule == 'lost_departures' %}
    with
    crossing as (
        select records.state, records.state_student_id, records.withdrawal_date, xwalk.msix_id
        from {{ ref('int_enrollments_current') }} as records
        inner join {{ ref('int_xwalk_resolved') }} as xwalk
            on records.state = xwalk.state and records.state_student_id = xwalk.state_student_id
        {{ as_of_move_join(as_of_seen) }}
        where
            records.withdrawal_date + {{ var('lost_after_days') }} > as_of_move.earlier
            and records.withdrawal_date + {{ var('lost_after_days') }} <= as_of_move.later
    ),
    -- the enrollments are joined with the crosswalk again rather than through a CTE that both
    -- read: DuckDB would materialize that CTE (0.9-1.0 s against 0.6-0.9 s at 1 M)
    child_ends as (
        select
            xwalk.msix_id,
            max(coalesce(enrollments.withdrawal_date, date '9999-12-31')) as last_day,
            max(enrollments.enrollment_date) as last_start
        from {{ ref('int_enrollments_current') }} as enrollments
        inner join {{ ref('int_xwalk_resolved') }} as xwalk
            on enrollments.state = xwalk.state and enrollments.state_student_id = xwalk.state_student_id
        where xwalk.msix_id in (select crossing.msix_id from crossing)
        group by xwalk.msix_id
    )
    -- only a withdrawal that is its child's last day, with no enrollment starting after it, can
    -- be a departure without arrival (int_moves_detected); any other crossing changes no row
    select crossing.state, crossing.state_student_id
    from crossing
    inner join child_ends on crossing.msix_id = child_ends.msix_id
    where crossing.withdrawal_date = child_ends.last_day and child_ends.last_start <= crossing.withdrawal_date
    {%- elif rule == 'eligibility' %}
    select records.state, records.state_student_id
    from {{ ref('int_eligibility_periods') }} as records
    {{ as_of_move_join(as_of_seen) }}
    where
        (records.qad > as_of_move.earlier and records.qad <= as_of_move.later)
        or (
            records.eligibility_expiration_date >= as_of_move.earlier
            and records.eligibility_expiration_date < as_of_move.later
        )
    {%- else %}
    {{ exceptions.raise_compiler_error("unknown as-of rule: " ~ rule) }}
    {%- endif %}
{% endmacro %}

{#- One row `as_of_move` (earlier, later): the last build's as-of date and this build's, in order. -#}
{% macro as_of_move_join(as_of_seen) %}
    cross join (
        select
            least(seen.as_of_date, {{ as_of_date() }}) as earlier,
            greatest(seen.as_of_date, {{ as_of_date() }}) as later
        from {{ as_of_seen }} as seen
    ) as as_of_move
{%- endmacro %}

{#- For a model that stores the as-of date in every row (fct_eligibility): after an incremental
    build, the rows not rebuilt take this build's date. Their other as-of-dependent values
    cannot have changed: the rule rebuilt every child whose dates the move crossed. -#}
{% macro move_as_of_date(this_relation) %}
    update {{ this_relation }}
    set as_of_date = {{ as_of_date() }}
    where as_of_date is distinct from {{ as_of_date() }}
{% endmacro %}
