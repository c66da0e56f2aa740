-- A COE gives an eligibility expiration date that contradicts the rule: 36 months after the
-- QAD (QAD + 3 years - 1 day) or when the child turns 22, whichever comes first.
with expected as (
    select
        m.state,
        m.state_student_id,
        m.national_id,
        m.qad,
        m.eligibility_expiration_date,
        (m.qad + interval 3 year - interval 1 day)::date as by_qad,
        (s.birth_date + interval 22 year)::date as turns_22
    from cur_moves as m
    inner join cur_students as s
        on m.state = s.state and m.state_student_id = s.state_student_id
    where m.eligibility_expiration_date is not null and m.qad is not null
)

select
    state,
    national_id as msix_id,
    state_student_id,
    'qad ' || qad as subject_key,
    -- the day before the 22nd birthday would show the birth date: it is named, not dated
    'eligibility expiration ' || eligibility_expiration_date || ' on the COE with QAD ' || qad
    || ' contradicts the rule (expected '
    || case when by_qad <= turns_22 - 1 then by_qad::varchar else 'the day before age 22' end
    || ')' as detail
from expected
where eligibility_expiration_date not in (least(by_qad, turns_22 - 1), least(by_qad, turns_22))
