-- A COE row arrived without its qualifying arrival date (the loader quarantined it) and no
-- later submission of the student's moves replaced it (the good rows of the same file do not).
with quarantined as (
    select q.state, q.state_student_id, q.file_name, q.line_no, manifest.stamp
    from raw_quarantine as q
    inner join raw.load_manifest as manifest on q.load_id = manifest.load_id
    where
        q.record_type = 'moves'
        and q.field = 'qad'
        and q.state_student_id is not null
        and manifest.stamp <= getvariable('as_of_ts')
    qualify row_number() over (
        partition by q.state, q.state_student_id order by manifest.stamp desc, q.line_no desc
    ) = 1
),

-- the latest visible moves of those children: the kept latest rows (quality/records.py) hold
-- them, with their stamp (every move row of a record's latest stamp), so the raw history of
-- moves is not read again
resubmitted as (
    select m.state, m.state_student_id, max(m.stamp) as stamp
    from latest_moves as m
    semi join quarantined as q
        on m.state = q.state and m.state_student_id = q.state_student_id
    group by all
)

select
    q.state,
    students.national_id as msix_id,
    q.state_student_id,
    'qad' as subject_key,
    'qualifying arrival date missing on the COE (file ' || q.file_name || ', line ' || q.line_no
    || ')' as detail
from quarantined as q
left join resubmitted as r
    on q.state = r.state and q.state_student_id = r.state_student_id
left join cur_students as students
    on q.state = students.state and q.state_student_id = students.state_student_id
where r.stamp is null or r.stamp <= q.stamp
