-- A child the system has lost, once 60 days have passed. Two kinds of departure:
-- a move a state recorded with another state as destination, and no enrollment outside the
-- state left within 60 days; or a withdrawal after which the child is enrolled nowhere (not
-- still enrolled elsewhere, never enrolled again). The state that recorded the departure acts.
-- The withdrawals compare with one date per child (aggregate first), not with every enrollment.
with enrollments as (
    select national_id, state, enrollment_date, withdrawal_date
    from cur_enrollments
    where national_id is not null
),

recorded_moves as (
    select
        d.state,
        d.state_student_id,
        d.national_id,
        d.to_state || '/' || d.departure_date as subject_key,
        'departure to ' || d.to_state || ' on ' || d.departure_date
        || ': no enrollment anywhere within 60 days' as detail
    from departures as d
    where
        d.national_id is not null
        and d.departure_date + 60 < getvariable('as_of')
        and not exists (
            select 1 from enrollments as e
            where
                e.national_id = d.national_id
                and e.state <> d.state
                and e.enrollment_date between d.departure_date and d.departure_date + 60
        )
),

-- per child, the last day any enrollment shows them enrolled (an open one: the run clock);
-- a withdrawal is lost when no enrollment starts or lasts beyond it
enrolled_until as (
    select
        national_id,
        max(greatest(enrollment_date, coalesce(withdrawal_date, getvariable('as_of')))) as last_day
    from enrollments
    where enrollment_date is not null
    group by national_id
),

withdrawals as (
    select
        w.state,
        w.state_student_id,
        w.national_id,
        'withdrawal/' || w.school_id || '/' || w.withdrawal_date as subject_key,
        'withdrew from school ' || w.school_id || ' on ' || w.withdrawal_date
        || ': not enrolled anywhere since' as detail
    from cur_enrollments as w
    left join enrolled_until as u on w.national_id = u.national_id
    where
        w.national_id is not null
        and w.withdrawal_date + 60 < getvariable('as_of')
        and (u.last_day is null or u.last_day <= w.withdrawal_date)
)

select state, national_id as msix_id, state_student_id, subject_key, detail
from recorded_moves
union all
select state, national_id as msix_id, state_student_id, subject_key, detail
from withdrawals
