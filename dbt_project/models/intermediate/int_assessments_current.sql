{{ incremental_records_config('assessments', 'latest_list') }}

{{ current_child_records(
    'stg_assessments',
    ['state_student_id', 'assessment_title', 'administration_date'],
    'assessment_key'
) }}
