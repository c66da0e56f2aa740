-- One row per national ID in use: the consolidated identity with best values, the states that
-- hold a record, conflicts per field, and current eligibility. Incremental by national ID
-- (incremental_records.sql): a delta rebuilds the children whose student records' values, move
-- records or links changed, whose best values a re-sent stamp can change (student_values.sql),
-- or whose current eligibility the new as-of date can change (as_of_affected.sql); a post-hook
-- moves latest_stamp of the other children of re-sent records up.
-- depends_on: {{ ref('int_eligibility_periods') }}

{{ incremental_identities_config('moves', 'eligibility', 'identity_columns') }}

{%- set fields = identity_fields() %}

with

votes as (

    select field_votes.* from {{ ref('int_student_field_votes') }} as field_votes
    {{ incremental_children_filter('field_votes.msix_id') }}

),

records as (

    select
        xwalk.msix_id,
        students.state,
        students.stamp

    from {{ ref('int_student_records_latest') }} as students
    inner join {{ ref('int_xwalk_resolved') }} as xwalk
        on
            students.state = xwalk.state
            and students.state_student_id = xwalk.state_student_id
    {{ incremental_children_filter('xwalk.msix_id', 'not students.is_deleted') }}

),

holders as (

    select
        msix_id,
        list_sort(list_distinct(list(state))) as states,
        count(*) as state_record_count,
        max(stamp) as latest_stamp

    from records
    group by msix_id

),

best_values as (

    select
        msix_id,
        {%- for field in fields %}
            max(case when field_name = '{{ field }}' then best_value end) as {{ field }},
            coalesce(bool_or(field_name = '{{ field }}' and has_conflict), false) as {{ field }}_has_conflict,
        {%- endfor %}
        coalesce(bool_or(has_conflict), false) as has_conflicts

    from votes
    group by msix_id

),

eligibility as (

    select
        periods.msix_id,
        periods.qad as latest_qad,
        periods.eligibility_expiration_date,
        periods.is_current as is_currently_eligible

    from {{ ref('fct_eligibility') }} as periods
    {{ incremental_children_filter('periods.msix_id', 'periods.is_latest_for_child') }}

),

final as (

    select
        cast(holders.msix_id as varchar) as msix_id,
        {%- for field in fields %}
            {%- if field == 'birth_date' %}
                cast(best_values.birth_date as date) as birth_date,
            {%- elif field == 'multiple_birth' %}
                cast(best_values.multiple_birth as boolean) as multiple_birth,
            {%- else %}
                cast(best_values.{{ field }} as varchar) as {{ field }},
            {%- endif %}
        {%- endfor %}
        cast(holders.states as varchar[]) as states,
        cast(holders.state_record_count as integer) as state_record_count,
        cast(holders.latest_stamp as timestamp) as latest_stamp,
        coalesce(best_values.has_conflicts, false) as has_conflicts,
        {%- for field in fields %}
            coalesce(best_values.{{ field }}_has_conflict, false) as {{ field }}_has_conflict,
        {%- endfor %}
        cast(eligibility.latest_qad as date) as latest_qad,
        cast(eligibility.eligibility_expiration_date as date) as eligibility_expiration_date,
        coalesce(eligibility.is_currently_eligible, false) as is_currently_eligible

    from holders
    left join best_values on holders.msix_id = best_values.msix_id
    left join eligibility on holders.msix_id = eligibility.msix_id

)

select * from final
