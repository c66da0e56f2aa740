{{ incremental_records_config('courses', 'latest_list') }}

{{ current_child_records(
    'stg_courses',
    ['state_student_id', 'school_id', 'school_year', 'term_type', 'course_title', 'course_section'],
    'course_key'
) }}
