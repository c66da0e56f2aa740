{#-
    dbt's `unique`; in a delta (macros/written_rows.sql) only the keys of the rows this build
    wrote are looked for twice: among those rows, and among the rows it did not write (a
    written row duplicating an untouched one fails). The keys found are counted over the whole
    relation.
-#}
{% test unique(model, column_name) %}

{%- set delta = whole_and_untouched() %}
{%- if delta is none %}
{{ adapter.dispatch('test_unique', 'dbt')(model, column_name) }}
{%- else %}
with

written as (
    select {{ column_name }} as unique_field
    from {{ model }}
    where {{ column_name }} is not null
),

untouched as (
    select {{ column_name }} as unique_field
    from {{ delta.untouched }}
    where {{ column_name }} is not null
),

colliding as (
    select written.unique_field
    from written
    group by written.unique_field
    having count(*) > 1
    union
    select untouched.unique_field
    from untouched
    where untouched.unique_field in (select written.unique_field from written)
)

select
    {{ column_name }} as unique_field,
    count(*) as n_records

from {{ delta.whole }}
where {{ column_name }} in (select colliding.unique_field from colliding)
group by {{ column_name }}
{%- endif %}

{% endtest %}
