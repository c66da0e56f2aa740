-- One row per assessment result that counts now, from every state. Incremental by state record
-- (incremental_records.sql).

{{ incremental_linked_records_config('assessments') }}

with

assessments as (

    select * from {{ ref('int_assessments_current') }}

),

xwalk as (

    select * from {{ ref('int_xwalk_resolved') }}

),

final as (

    select
        cast(assessments.assessment_key as varchar) as assessment_key,
        cast(xwalk.msix_id as varchar) as msix_id,
        cast(assessments.state as varchar) as state,
        cast(assessments.state_student_id as varchar) as state_student_id,
        cast(assessments.assessment_title as varchar) as assessment_title,
        cast(assessments.content_area as varchar) as content_area,
        cast(assessments.assessment_type as varchar) as assessment_type,
        -- warehouse.md: dates are DATE (the delivered `YYYY-MM` is a month: its first day)
        cast(assessments.administration_month as date) as administration_date,
        cast(assessments.score as varchar) as score,
        cast(assessments.interpretation as varchar) as interpretation,
        cast(assessments.stamp as timestamp) as stamp

    from assessments
    inner join xwalk
        on
            assessments.state = xwalk.state
            and assessments.state_student_id = xwalk.state_student_id
    {{ incremental_records_filter('assessments') }}

)

select * from final
