-- A departure to another state with no enrollment anywhere (outside the state left) within
-- 60 days, once those 60 days have passed. The state that recorded the departure acts.
with arrivals as (
    select national_id, state, enrollment_date
    from cur_enrollments
),

overdue as (
    select *
    from departures
    where national_id is not null and departure_date + 60 < getvariable('as_of')
)

select
    d.state,
    d.national_id as msix_id,
    d.state_student_id,
    d.to_state || '/' || d.departure_date as subject_key,
    'departure to ' || d.to_state || ' on ' || d.departure_date
    || ': no enrollment anywhere within 60 days' as detail
from overdue as d
where not exists (
    select 1 from arrivals as a
    where
        a.national_id = d.national_id
        and a.state <> d.state
        and a.enrollment_date between d.departure_date and d.departure_date + 60
)
