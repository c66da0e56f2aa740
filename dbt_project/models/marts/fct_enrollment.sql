-- One row per enrollment that counts now, in every state, with the child's national ID and its
-- place in the child's enrollment history (date order across states).

{{ incremental_identities_config('enrollments') }}

with

enrollments as (

    select * from {{ ref('int_enrollments_current') }}

),

xwalk as (

    select * from {{ ref('int_xwalk_resolved') }}

),

final as (

    select
        cast(enrollments.enrollment_key as varchar) as enrollment_key,
        cast(xwalk.msix_id as varchar) as msix_id,
        cast(enrollments.state as varchar) as state,
        cast(enrollments.state_student_id as varchar) as state_student_id,
        cast(enrollments.school_id as varchar) as school_id,
        cast(enrollments.district_id as varchar) as district_id,
        cast(enrollments.school_name as varchar) as school_name,
        cast(enrollments.enrollment_type as varchar) as enrollment_type,
        cast(enrollments.enrollment_type_label as varchar) as enrollment_type_label,
        cast(enrollments.enrollment_date as date) as enrollment_date,
        cast(enrollments.withdrawal_date as date) as withdrawal_date,
        cast(enrollments.grade_level as varchar) as grade_level,
        cast(enrollments.grade_level_label as varchar) as grade_level_label,
        cast(enrollments.residency_date as date) as residency_date,
        enrollments.is_english_learner,
        enrollments.has_iep,
        enrollments.is_priority_for_services,
        cast(enrollments.medical_alert as varchar) as medical_alert,
        enrollments.has_immunization_record,
        enrollments.withdrawal_date is null as is_open,
        cast(
            row_number() over (
                partition by xwalk.msix_id
                order by
                    enrollments.enrollment_date,
                    enrollments.withdrawal_date,
                    enrollments.state,
                    enrollments.school_id,
                    -- the key last: the same enrollment in two records of one child in one state
                    -- would otherwise be numbered by chance, differently build to build
                    enrollments.enrollment_key
            ) as integer
        ) as enrollment_sequence,
        cast(enrollments.stamp as timestamp) as stamp,
        cast(enrollments.file_name as varchar) as file_name

    from enrollments
    inner join xwalk
        on
            enrollments.state = xwalk.state
            and enrollments.state_student_id = xwalk.state_student_id
    {{ incremental_children_filter('xwalk.msix_id') }}

)

select * from final
