-- One row per school (or MEP project facility) seen in any current enrollment or course record.

with

enrollments as (

    select * from {{ ref('int_enrollments_current') }}

),

courses as (

    select * from {{ ref('int_courses_current') }}

),

-- The latest record of each school wins: stamp desc, then state, school name and district
-- ascending (missing values last). min_by over a sort key is one hash aggregation, several
-- times cheaper than a window over millions of enrollments.
named_schools as (

    select
        school_id,
        min_by(
            struct_pack(state, district_id, school_name, stamp),
            struct_pack(
                newest_first := -epoch_us(stamp),
                state := state,
                name_missing := school_name is null,
                school_name := coalesce(school_name, ''),
                district_missing := district_id is null,
                district_id := coalesce(district_id, '')
            )
        ) as latest

    from enrollments
    group by school_id

),

course_only_schools as (

    select
        school_id,
        min_by(
            struct_pack(state, stamp),
            struct_pack(newest_first := -epoch_us(stamp), state := state)
        ) as latest

    from courses
    where school_id not in (select named_schools.school_id from named_schools)
    group by school_id

),

final as (

    select
        cast(named_schools.school_id as varchar) as school_id,
        cast(latest.state as varchar) as state,
        cast(latest.district_id as varchar) as district_id,
        cast(latest.school_name as varchar) as school_name,
        cast(latest.stamp as timestamp) as latest_stamp

    from named_schools

    union all

    select
        cast(course_only_schools.school_id as varchar) as school_id,
        cast(latest.state as varchar) as state,
        cast(null as varchar) as district_id,
        cast(null as varchar) as school_name,
        cast(latest.stamp as timestamp) as latest_stamp

    from course_only_schools

)

select * from final
