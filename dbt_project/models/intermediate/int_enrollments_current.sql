{{ incremental_records_config('enrollments') }}

{{ current_child_records('stg_enrollments', ['state_student_id', 'school_id', 'enrollment_date'], 'enrollment_key') }}
