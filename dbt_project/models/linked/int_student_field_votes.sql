-- One row per national ID and identity field: the value the states agree on most (see the
-- survivorship rules in _linked.yml), how many distinct values the states hold, and whether
-- they conflict. Incremental by national ID (incremental_records.sql): a delta rebuilds the
-- children whose student records' values or links changed, or whose vote a re-sent stamp can
-- change (student_values.sql).

{{ incremental_identities_config('', student_values='identity_rows') }}

{%- set fields = identity_fields() %}
{#- the vote order: most records agreeing, then the latest, the most complete record -#}
{%- set vote_order = 'records_agreeing desc, latest_stamp desc, most_filled_fields desc, agreement_value asc' %}

with

records as (

    select
        xwalk.msix_id,
        students.*

    from {{ ref('int_student_records_latest') }} as students
    inner join {{ ref('int_xwalk_resolved') }} as xwalk
        on
            students.state = xwalk.state
            and students.state_student_id = xwalk.state_student_id
    {{ incremental_children_filter('xwalk.msix_id') }}

),

field_values as (

    -- one row per record and filled identity field: one scan (unnest of a list of structs)
    -- instead of one per field
    select
        msix_id,
        state,
        stamp,
        0
        {%- for field in fields %}
            + case when {{ field }} is not null then 1 else 0 end
        {%- endfor %} as filled_fields,
        unnest([
            {%- for field in fields %}
                { 'field_name': '{{ field }}', 'field_value': cast({{ field }} as varchar) }
                {%- if not loop.last %},{% endif %}
            {%- endfor %}
        ], recursive := true)

    from records
    where not is_deleted

),

filled_values as (

    select
        *,
        lower(strip_accents(trim(field_value))) as agreement_value

    from field_values
    where nullif(trim(field_value), '') is not null

),

votes as (

    -- per agreement value: its spelling from the latest, most complete record (state, then the
    -- spelling itself, break what ties remain: two records of one state in one file)
    select
        msix_id,
        field_name,
        agreement_value,
        count(*) as records_agreeing,
        max(stamp) as latest_stamp,
        max(filled_fields) as most_filled_fields,
        first(
            field_value order by stamp desc, filled_fields desc, state asc, field_value asc
        ) as best_spelling

    from filled_values
    group by msix_id, field_name, agreement_value

),

winning_votes as (

    select
        msix_id,
        field_name,
        first(best_spelling order by {{ vote_order }}) as best_value,
        first(records_agreeing order by {{ vote_order }}) as records_agreeing,
        count(*) as distinct_values

    from votes
    group by msix_id, field_name

)

select
    msix_id,
    field_name,
    best_value,
    records_agreeing,
    distinct_values,
    distinct_values > 1 as has_conflict

from winning_votes
