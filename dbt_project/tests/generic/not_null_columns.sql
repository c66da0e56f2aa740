{#-
    dbt's `not_null` for several columns in one test: one failing row per null value of each of
    `columns` (the failing rows of one `not_null` test per column, together). One node instead
    of one per column: at a few milliseconds of SQL each (DuckDB answers `is null` from column
    statistics), the per-node work of dbt was most of their cost.
-#}
{% test not_null_columns(model, columns) %}

{% for column in columns %}
select '{{ column }}' as null_column
from {{ model }}
where {{ column }} is null
{{ 'union all' if not loop.last }}
{% endfor %}

{% endtest %}
