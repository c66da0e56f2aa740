with

source as (

    select * from {{ source('raw', 'enrollments') }}

),

renamed as (

    select
        ---------- lineage
        {{ lineage_columns() }},

        ---------- ids
        state_student_id,
        school_id,
        district_id,

        ---------- codes and labels
        enrollment_type,
        {{ enrollment_type_label('enrollment_type') }} as enrollment_type_label,
        grade_level,
        {{ grade_level_label('grade_level') }} as grade_level_label,
        medical_alert,
        {{ medical_alert_label('medical_alert') }} as medical_alert_label,

        ---------- text
        school_name,

        ---------- flags
        {{ flag_to_boolean('lep') }} as is_english_learner,
        {{ flag_to_boolean('iep') }} as has_iep,
        {{ flag_to_boolean('pfs') }} as is_priority_for_services,
        {{ flag_to_boolean('immunization') }} as has_immunization_record,

        ---------- dates
        enrollment_date,
        withdrawal_date,
        residency_date

    from source

)

select * from renamed
