-- Checks: a move's arrival is not before its departure (the child left before arriving).
-- When it matters: every build; rows here usually mean overlapping enrollments in two places
--   (a state left an enrollment open, or a withdrawal date is wrong).
-- How to resolve: the state of the departure corrects its withdrawal date; the warehouse
--   follows on the next submission.
{{ config(severity='warn', store_failures=true) }}

select *
from {{ ref('fct_move') }}
where arrival_date < departure_date
