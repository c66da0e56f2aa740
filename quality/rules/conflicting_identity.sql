-- The states' records of one child disagree on birth date, sex, multiple-birth flag or names
-- beyond spelling (accents, hyphens, case, surname order, first and middle name swapped).
-- The detail names the other states only, never their values.
with records as (
    select
        state,
        state_student_id,
        national_id,
        birth_date,
        sex,
        multiple_birth,
        regexp_replace(upper(strip_accents(coalesce(first_name, ''))), '[^A-Z]', '', 'g')
            as first_key,
        regexp_replace(upper(strip_accents(coalesce(middle_name, ''))), '[^A-Z]', '', 'g')
            as middle_key,
        list_filter(
            string_split_regex(
                regexp_replace(
                    upper(strip_accents(concat_ws(' ', last_name_1, last_name_2))),
                    '[^A-Z]', ' ', 'g'
                ),
                ' +'
            ),
            lambda t: t <> ''
        ) as surname_tokens
    from cur_students
    where national_id is not null
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
        (
            not (
                starts_with(a.first_key, b.first_key)
                or starts_with(b.first_key, a.first_key)
                or (a.first_key = b.middle_key and a.middle_key = b.first_key)
            )
            or not list_has_any(a.surname_tokens, b.surname_tokens)
        ) as names
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
