{{ incremental_records_config('assessments') }}

{{ current_child_records(
    'stg_assessments',
    ['state_student_id', 'assessment_title', 'administration_date'],
    'assessment_key'
) }}
