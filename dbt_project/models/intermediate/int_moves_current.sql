{{ incremental_records_config('moves') }}

{{ current_child_records('stg_moves', ['state_student_id', 'qad'], 'move_record_key') }}
