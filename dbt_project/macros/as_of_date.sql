{#- The date "current" means for eligibility and lost children: var `as_of_date` when given,
    else the date of the latest stamp received (never the wall clock, so rebuilds reproduce). -#}
{% macro as_of_date() -%}
    {%- if var('as_of_date', '') -%}
        cast('{{ var("as_of_date") }}' as date)
    {%- else -%}
        (select cast(max(stamp) as date) from {{ source('raw', 'students') }})
    {%- endif -%}
{%- endmacro %}
