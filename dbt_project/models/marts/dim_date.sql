-- One row per calendar day 2000-2040 with US federal holidays (observed dates) and a running
-- working-day index: working days between two dates = index(later) - index(earlier).

with

days as (

    select cast(range as date) as date_day
    from range(date '2000-01-01', date '2041-01-01', interval 1 day)

),

years as (

    select distinct year(date_day) as calendar_year from days

),

nth_weekday_rules as (

    -- holiday, month, weekday (isodow: 1 = Monday), which occurrence in the month
    select * from (
        values
        ('Birthday of Martin Luther King, Jr.', 1, 1, 3),
        ('Washington''s Birthday', 2, 1, 3),
        ('Labor Day', 9, 1, 1),
        ('Columbus Day', 10, 1, 2),
        ('Thanksgiving Day', 11, 4, 4)
    ) as nth_rules (holiday_name, holiday_month, weekday_iso, week_number)  -- noqa: AL05

),

fixed_date_rules as (

    -- holiday, month, day, first year observed
    select * from (
        values
        ('New Year''s Day', 1, 1, 1900),
        ('Juneteenth National Independence Day', 6, 19, 2021),
        ('Independence Day', 7, 4, 1900),
        ('Veterans Day', 11, 11, 1900),
        ('Christmas Day', 12, 25, 1900)
    ) as fixed_rules (holiday_name, holiday_month, holiday_day, first_year)  -- noqa: AL05

),

nth_weekdays as (

    -- the n-th given weekday of a month, counted from the month's first day
    select
        years.calendar_year,
        nth_weekday_rules.holiday_name,
        make_date(years.calendar_year, nth_weekday_rules.holiday_month, 1) as month_start,
        nth_weekday_rules.weekday_iso,
        nth_weekday_rules.week_number

    from years
    cross join nth_weekday_rules

),

nth_weekday_dates as (

    select
        calendar_year,
        holiday_name,
        cast(
            month_start
            + to_days(cast((weekday_iso - isodow(month_start) + 7) % 7 + (week_number - 1) * 7 as integer))
            as date
        ) as holiday_date

    from nth_weekdays

),

last_mondays as (

    select
        calendar_year,
        'Memorial Day' as holiday_name,
        cast(
            make_date(calendar_year, 5, 31)
            - to_days(cast(isodow(make_date(calendar_year, 5, 31)) - 1 as integer))
            as date
        ) as holiday_date

    from years

),

fixed_dates as (

    select
        years.calendar_year,
        fixed_date_rules.holiday_name,
        make_date(years.calendar_year, fixed_date_rules.holiday_month, fixed_date_rules.holiday_day) as holiday_date

    from years
    inner join fixed_date_rules
        on years.calendar_year >= fixed_date_rules.first_year

),

holidays as (

    select * from nth_weekday_dates
    union all
    select * from last_mondays
    union all
    select * from fixed_dates

),

observed_holidays as (

    -- a holiday on Saturday is observed the Friday before, on Sunday the Monday after
    select
        holiday_name,
        holiday_date,
        cast(
            case isodow(holiday_date)
                when 6 then holiday_date - interval 1 day
                when 7 then holiday_date + interval 1 day
                else holiday_date
            end as date
        ) as observed_date

    from holidays

),

flagged_days as (

    select
        days.date_day,
        observed_holidays.holiday_name,
        observed_holidays.holiday_date,
        isodow(days.date_day) in (6, 7) as is_weekend,
        observed_holidays.observed_date is not null as is_federal_holiday

    from days
    left join observed_holidays
        on days.date_day = observed_holidays.observed_date

),

final as (

    select
        cast(date_day as date) as date_day,
        cast(year(date_day) as integer) as calendar_year,
        cast(month(date_day) as integer) as calendar_month,
        cast(day(date_day) as integer) as day_of_month,
        cast(isodow(date_day) as integer) as iso_day_of_week,
        cast(dayname(date_day) as varchar) as day_name,
        cast(date_trunc('month', date_day) as date) as month_start,
        cast(
            case when month(date_day) >= 7 then year(date_day) else year(date_day) - 1 end as integer
        ) as school_year_start,
        is_weekend,
        is_federal_holiday,
        cast(holiday_name as varchar) as holiday_name,
        cast(holiday_date as date) as holiday_actual_date,
        not is_weekend and not is_federal_holiday as is_working_day,
        cast(
            sum(case when not is_weekend and not is_federal_holiday then 1 else 0 end)
                over (order by date_day rows between unbounded preceding and current row)
            as integer
        ) as working_day_index

    from flagged_days

)

select * from final
