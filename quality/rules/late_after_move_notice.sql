-- 34 CFR 200.85: after a change-of-residence notice from another state, the destination
-- submits the child's data within 4 working days. The notice goes out with the first
-- submission that carried the departure; the answer is the destination's first student row
-- for the child stamped on or after it.
with notified as (
    select distinct to_state, national_id
    from departures
    where national_id is not null
),

-- the student rows of the notified children in their destination only (a semi-join on few)
destination_rows as (
    select s.state, s.state_student_id, s.stamp, x.msix_id
    from raw_students as s
    inner join marts.xwalk_student_identity as x
        on s.state = x.state and s.state_student_id = x.state_student_id
    semi join notified as n on x.state = n.to_state and x.msix_id = n.national_id
    where s.stamp <= getvariable('as_of_ts')
),

answers as (
    select
        d.state as from_state,
        d.to_state,
        d.national_id,
        d.notice_stamp,
        min(r.stamp) as answered_stamp,
        min(r.state_student_id) as state_student_id
    from departures as d
    left join destination_rows as r
        on d.to_state = r.state and d.national_id = r.msix_id and r.stamp >= d.notice_stamp
    where d.national_id is not null
    group by all
),

clocked as (
    select
        a.*,
        coalesce(answered.wd_index, now_day.wd_index) - notice.wd_index as working_days
    from answers as a
    inner join quality.working_day as notice on a.notice_stamp::date = notice.day
    inner join quality.working_day as now_day on getvariable('as_of') = now_day.day
    left join quality.working_day as answered on a.answered_stamp::date = answered.day
)

select
    to_state as state,
    national_id as msix_id,
    state_student_id,
    from_state || '/' || notice_stamp::date as subject_key,
    'move notice from ' || from_state || ' of ' || notice_stamp::date
    || case
        when answered_stamp is null then ': no data submitted within 4 working days'
        else ': data submitted ' || working_days || ' working days later (limit 4)'
    end as detail
from clocked
where working_days > 4
