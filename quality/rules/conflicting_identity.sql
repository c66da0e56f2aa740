-- The states' records of one child disagree on birth date, sex, multiple-birth flag or names.
-- Names disagree only when the two records share no name part at all (after dropping accents,
-- case, hyphens): nicknames, typos, one surname missing or surnames in another order are what
-- identity resolution explains.
-- The detail names the other states only, never their values.
with shared_children as (
    select national_id
    from cur_students
    where national_id is not null
    group by national_id
    having count(distinct state) > 1
),

-- only children with records in two states or more can disagree: the names are split for them
records as (
    select
        state,
        state_student_id,
        national_id,
        birth_date,
        sex,
        multiple_birth,
        -- the runs of letters A-Z left after dropping accents and case
        regexp_extract_all(
            upper(strip_accents(concat_ws(' ', first_name, middle_name, last_name_1, last_name_2))),
            '[A-Z]+'
        ) as name_tokens
    from cur_students
    where national_id in (select shared_children.national_id from shared_children)
),

pairs as (
    select
        a.state,
        a.state_student_id,
        a.national_id,
        b.state as other_state,
        a.birth_date <> b.birth_date as birth_date,
        a.sex <> b.sex as sex,
        coalesce(a.multiple_birth <> b.multiple_birth, false) as multiple_birth,
        not list_has_any(a.name_tokens, b.name_tokens) as names
    from records as a
    inner join records as b on a.national_id = b.national_id and a.state <> b.state
),

differences as (
    unpivot pairs on birth_date, sex, multiple_birth, names into name field value differs
)

select
    state,
    national_id as msix_id,
    state_student_id,
    field as subject_key,
    replace(field, '_', ' ') || ' disagrees with the record of '
    || string_agg(distinct other_state, ', ' order by other_state) as detail
from differences
where differs
group by state, national_id, state_student_id, field
