{#-
    dbt's `relationships`; in a delta (macros/written_rows.sql) the child rows checked against
    the parent are the rows this build wrote and every row whose key the parent's own build
    deleted and did not write again (a national ID retired by a merge); the whole child when
    the parent was built in full in this invocation.
-#}
{% test relationships(model, column_name, to, field) %}

{%- set delta = whole_and_untouched() %}
{%- set deleted = parent_deleted_keys(to, field) if delta is not none else none %}
{%- if deleted is none %}
{#- not a delta (`model` is the whole child), or the parent was built in full: the whole child -#}
{{ adapter.dispatch('test_relationships', 'dbt')(delta.whole if delta is not none else model, column_name, to, field) }}
{%- else %}
with

child as (
    select {{ column_name }} as from_field
    from {{ model }}
    where {{ column_name }} is not null
    {%- if deleted %}
    union all
    select {{ column_name }} as from_field
    from {{ delta.whole }}
    where {{ column_name }} in ({{ deleted }})
    {%- endif %}
),

parent as (
    select {{ field }} as to_field
    from {{ to }}
)

select child.from_field

from child
left join parent
    on child.from_field = parent.to_field

where parent.to_field is null
{%- endif %}

{% endtest %}
