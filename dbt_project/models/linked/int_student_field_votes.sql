-- One row per national ID and identity field: the value the states agree on most (see the
-- survivorship rules in _linked.yml), how many distinct values the states hold, and whether
-- they conflict. Incremental by national ID (incremental_records.sql).

{{ incremental_identities_config('students') }}

{%- set fields = identity_fields() %}

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

record_completeness as (

    select
        *,
        0
        {%- for field in fields %}
            + case when {{ field }} is not null then 1 else 0 end
        {%- endfor %} as filled_fields

    from records
    where not is_deleted

),

field_values as (

    {%- for field in fields %}
        select
            msix_id,
            state,
            state_student_id,
            stamp,
            filled_fields,
            '{{ field }}' as field_name,
            cast({{ field }} as varchar) as field_value,
            lower(strip_accents(trim(cast({{ field }} as varchar)))) as agreement_value

        from record_completeness
        where nullif(trim(cast({{ field }} as varchar)), '') is not null
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

votes as (

    select
        msix_id,
        field_name,
        agreement_value,
        count(*) as records_agreeing,
        max(stamp) as latest_stamp,
        max(filled_fields) as most_filled_fields

    from field_values
    group by msix_id, field_name, agreement_value

),

ranked_votes as (

    select
        *,
        row_number() over (
            partition by msix_id, field_name
            order by records_agreeing desc, latest_stamp desc, most_filled_fields desc, agreement_value asc
        ) as vote_rank,
        count(*) over (partition by msix_id, field_name) as distinct_values

    from votes

),

winning_spelling as (

    select
        field_values.msix_id,
        field_values.field_name,
        field_values.field_value as best_value,
        ranked_votes.records_agreeing,
        ranked_votes.distinct_values

    from field_values
    inner join ranked_votes
        on
            field_values.msix_id = ranked_votes.msix_id
            and field_values.field_name = ranked_votes.field_name
            and field_values.agreement_value = ranked_votes.agreement_value
    where ranked_votes.vote_rank = 1
    qualify row_number() over (
        partition by field_values.msix_id, field_values.field_name
        order by field_values.stamp desc, field_values.filled_fields desc, field_values.state asc
    ) = 1

)

select
    msix_id,
    field_name,
    best_value,
    records_agreeing,
    distinct_values,
    distinct_values > 1 as has_conflict

from winning_spelling
