{#-
    Fails with one row per combination of `columns` that occurs more than once in the model. In
    a delta (macros/written_rows.sql) only the combinations of the rows this build wrote are
    looked for twice: among those rows, and among the rows it did not write (a written row
    duplicating an untouched one fails); the combinations found are counted over the whole
    relation.
-#}
{% test unique_combination_of_columns(model, columns) %}

{%- set delta = whole_and_untouched() %}
{%- if delta is none %}
select
    {{ columns | join(', ') }},
    count(*) as occurrences

from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{%- else %}
with

written as (
    select {{ columns | join(', ') }}
    from {{ model }}
),

untouched as (
    select {{ columns | join(', ') }}
    from {{ delta.untouched }}
),

colliding as (
    select {{ columns | join(', ') }}
    from written
    group by {{ columns | join(', ') }}
    having count(*) > 1
    union
    select {{ columns | join(', ') }}
    from untouched
    where exists (
        select 1 from written
        where {{ same_combination(columns, 'written', 'untouched') }}
    )
)

select
    {{ columns | join(', ') }},
    count(*) as occurrences

from (select * from {{ delta.whole }}) as all_rows
where exists (
    select 1 from colliding
    where {{ same_combination(columns, 'colliding', 'all_rows') }}
)
group by {{ columns | join(', ') }}
{%- endif %}

{% endtest %}
