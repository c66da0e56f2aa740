-- Checks: no derived eligibility period runs past the day before the 22nd birthday or past
--   QAD + 3 years - 1 day.
-- When it matters: every build (a delta checks the rows it wrote, macros/written_rows.sql); a
--   failure means the eligibility rule in int_eligibility_periods (macros qad_expiration,
--   age_out_date) broke.
-- How to resolve: fix the macro; never patch the data.
{{ config(severity='error', store_failures=true) }}

select *
from {{ written_rows_of(ref('fct_eligibility')) }}
where
    eligibility_expiration_date > qad_expiration_date
    or eligibility_expiration_date > age_out_date
