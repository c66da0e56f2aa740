{#- One round of complementary suppression over `previous` (a CTE with a `moves` count and a
    boolean `flag_in`): in every group of `group_columns` that has exactly one suppressed cell,
    the smallest other cell is suppressed too, so the hidden count cannot be recovered from the
    group's total. Rounds alternate between row and column groups. -#}
{% macro complementary_suppression_round(previous, flag_in, flag_out, group_columns, tie_column) %}
    select
        *,
        {{ flag_in }} or coalesce(
            sum(case when {{ flag_in }} then 1 else 0 end) over (partition by {{ group_columns | join(', ') }}) = 1
            and not {{ flag_in }}
            and row_number() over (
                partition by {{ group_columns | join(', ') }}, {{ flag_in }}
                order by moves, {{ tie_column }}
            ) = 1,
            false
        ) as {{ flag_out }}

    from {{ previous }}
{% endmacro %}
