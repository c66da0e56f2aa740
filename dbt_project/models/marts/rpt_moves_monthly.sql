-- Moves by origin state x destination state x month of arrival, with small-cell suppression:
-- counts below var min_cell_size are NULL with a flag, and complementary cells are suppressed so
-- no hidden count can be recovered from a row (origin, month) or column (destination, month) total.

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

round_1 as (
    {{ complementary_suppression_round(
        'cells', 'is_small_cell', 'suppressed_1', ['from_state', 'month'], 'to_state'
    ) }}
),

round_2 as (
    {{ complementary_suppression_round(
        'round_1', 'suppressed_1', 'suppressed_2', ['to_state', 'month'], 'from_state'
    ) }}
),

round_3 as (
    {{ complementary_suppression_round(
        'round_2', 'suppressed_2', 'suppressed_3', ['from_state', 'month'], 'to_state'
    ) }}
),

round_4 as (
    {{ complementary_suppression_round(
        'round_3', 'suppressed_3', 'suppressed_4', ['to_state', 'month'], 'from_state'
    ) }}
),

final as (

    select
        cast(from_state as varchar) as from_state,
        cast(to_state as varchar) as to_state,
        cast(month as date) as month,
        cast(case when not suppressed_4 then moves end as bigint) as moves,
        suppressed_4 as is_suppressed,
        cast(
            case
                when is_small_cell then 'small cell'
                when suppressed_4 then 'complementary'
            end as varchar
        ) as suppression_reason,
        from_state <> to_state as is_interstate

    from round_4

)

select * from final
