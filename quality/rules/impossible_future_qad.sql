-- A qualifying arrival date after the run clock.
select
    state,
    national_id as msix_id,
    state_student_id,
    'qad ' || qad as subject_key,
    'qualifying arrival date ' || qad || ' is in the future' as detail
from cur_moves
where qad > getvariable('as_of')
