{#- md5 of the columns joined with '|', nulls as empty strings: a stable key from a natural key. -#}
{% macro surrogate_key(columns) -%}
    md5(concat_ws('|'{% for column in columns %}, coalesce(cast({{ column }} as varchar), ''){% endfor %}))
{%- endmacro %}

{#- The lineage columns every raw table carries (docs/architecture.md "Raw layer"). -#}
{% macro lineage_columns() -%}
    load_id,
        file_name,
        line_no,
        state,
        stamp
{%- endmacro %}
