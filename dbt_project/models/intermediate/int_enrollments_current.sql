{{ incremental_records_config('enrollments', 'latest_list') }}

{{ current_child_records('stg_enrollments', ['state_student_id', 'school_id', 'enrollment_date'], 'enrollment_key') }}
