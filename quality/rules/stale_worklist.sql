-- A near match waits for a decision for more than 10 working days. Both states' data
-- administrators can decide it, so both get the finding.
with pending as (
    select
        w.pair_id,
        n.state_l,
        n.state_student_id_l,
        n.state_r,
        n.state_student_id_r,
        n.first_seen::date as first_seen,
        now_day.wd_index - seen.wd_index as working_days
    from marts.near_match_worklist as w
    inner join identity.near_matches as n on w.pair_id = n.pair_id
    inner join quality.working_day as seen on n.first_seen::date = seen.day
    inner join quality.working_day as now_day on getvariable('as_of') = now_day.day
    where n.first_seen::date <= getvariable('as_of')
),

sides as (
    select state_l as state, state_student_id_l as state_student_id, state_r as other_state, *
    from pending
    union all
    select state_r, state_student_id_r, state_l, *
    from pending
)

select
    sides.state,
    x.msix_id,
    sides.state_student_id,
    sides.pair_id as subject_key,
    'near match ' || sides.pair_id || ' with a record of ' || sides.other_state
    || ' undecided since ' || sides.first_seen || ' (more than 10 working days)' as detail
from sides
left join marts.xwalk_student_identity as x
    on sides.state = x.state and sides.state_student_id = x.state_student_id
where sides.working_days > 10
