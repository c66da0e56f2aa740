{{ incremental_records_config('moves', 'latest_list') }}

{{ current_child_records('stg_moves', ['state_student_id', 'qad'], 'move_record_key') }}
