-- Moves by origin state x destination state x month of arrival, with small-cell suppression:
-- counts below var min_cell_size are NULL with a flag, and complementary cells are suppressed so
-- no hidden count can be recovered from a row (origin, month) or column (destination, month) total:
-- eight alternating rounds, then any month still holding a lone hidden cell is hidden whole.

with

moves as (

    select * from {{ ref('fct_move') }}
    where from_state is not null and to_state is not null and arrival_date is not null

),

cells as (

    select
        from_state,
        to_state,
        cast(date_trunc('month', arrival_date) as date) as month,
        count(*) as moves,
        count(*) < {{ var('min_cell_size') }} as is_small_cell

    from moves
    group by from_state, to_state, cast(date_trunc('month', arrival_date) as date)

),

{%- set rounds = 8 %}
{%- for round in range(1, rounds + 1) %}

round_{{ round }} as (  -- noqa: LT02
    {{ complementary_suppression_round(
        'cells' if round == 1 else 'round_' ~ (round - 1),
        'is_small_cell' if round == 1 else 'suppressed_' ~ (round - 1),
        'suppressed_' ~ round,
        ['from_state', 'month'] if round is odd else ['to_state', 'month'],
        'to_state' if round is odd else 'from_state'
    ) }}
),  -- noqa: LT02
{%- endfor %}

lone_groups as (

    -- groups the rounds did not settle (rare): their whole month is hidden below
    select month from round_{{ rounds }}
    group by from_state, month
    having count(*) > 1 and count(*) filter (where suppressed_{{ rounds }}) = 1

    union

    select month from round_{{ rounds }}
    group by to_state, month
    having count(*) > 1 and count(*) filter (where suppressed_{{ rounds }}) = 1

),

settled as (

    select
        *,
        suppressed_{{ rounds }} or month in (select lone_groups.month from lone_groups) as is_hidden

    from round_{{ rounds }}

),

final as (

    select
        cast(from_state as varchar) as from_state,
        cast(to_state as varchar) as to_state,
        cast(month as date) as month,
        cast(case when not is_hidden then moves end as bigint) as moves,
        is_hidden as is_suppressed,
        cast(
            case
                when is_small_cell then 'small cell'
                when is_hidden then 'complementary'
            end as varchar
        ) as suppression_reason,
        from_state <> to_state as is_interstate

    from settled

)

select * from final
