-- A state echoed a national ID in its file that the crosswalk gives to another child.
select
    s.state,
    s.national_id as msix_id,
    s.state_student_id,
    s.msix_id as subject_key,
    'submitted national ID ' || s.msix_id || ' belongs to another child; this record is '
    || coalesce(s.national_id, 'not linked yet') as detail
from cur_students as s
where
    s.msix_id is not null
    and s.msix_id is distinct from s.national_id
    and exists (
        select 1 from marts.xwalk_student_identity as x
        where x.msix_id = s.msix_id
    )
