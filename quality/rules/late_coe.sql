-- 34 CFR 200.85: a new COE is submitted within 10 working days of the qualifying arrival.
-- Counted from the QAD to the first submission that carried it, for COEs since the state's
-- first submission (older ones were history at onboarding).
with first_submitted as (
    select m.state, m.state_student_id, m.qad, min(m.stamp)::date as submitted
    from raw_moves as m
    where m.stamp <= getvariable('as_of_ts') and m.qad is not null
    group by all
),

clocked as (
    select
        f.*,
        done.wd_index - start.wd_index as working_days
    from first_submitted as f
    inner join state_onboarding as o on f.state = o.state
    inner join quality.working_day as start on f.qad = start.day
    inner join quality.working_day as done on f.submitted = done.day
    where f.qad >= o.first_day and f.qad <= f.submitted
)

select
    c.state,
    s.national_id as msix_id,
    c.state_student_id,
    'qad ' || c.qad as subject_key,
    'COE with QAD ' || c.qad || ' submitted on ' || c.submitted || ', ' || c.working_days
    || ' working days later (limit 10)' as detail
from clocked as c
inner join cur_students as s
    on c.state = s.state and c.state_student_id = s.state_student_id
where c.working_days > 10
