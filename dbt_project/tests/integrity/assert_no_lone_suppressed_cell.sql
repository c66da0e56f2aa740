-- Checks: rpt_moves_monthly never leaves exactly one hidden cell in a row (from_state, month) or
--   column (to_state, month) that has other cells, so a hidden count cannot be recovered as the
--   group total minus the shown cells.
-- When it matters: every build; a failure means the four suppression rounds did not settle.
-- How to resolve: add a round in rpt_moves_monthly (macro complementary_suppression_round).
{{ config(severity='error', store_failures=true) }}

with

cells as (

    select * from {{ ref('rpt_moves_monthly') }}

),

row_groups as (

    select
        'row' as group_kind,
        from_state as group_state,
        month,
        count(*) as cells,
        count(*) filter (where is_suppressed) as hidden_cells

    from cells
    group by from_state, month

),

column_groups as (

    select
        'column' as group_kind,
        to_state as group_state,
        month,
        count(*) as cells,
        count(*) filter (where is_suppressed) as hidden_cells

    from cells
    group by to_state, month

),

all_groups as (

    select * from row_groups
    union all
    select * from column_groups

)

select * from all_groups
where hidden_cells = 1 and cells > 1
