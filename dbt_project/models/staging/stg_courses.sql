with

source as (

    select * from {{ source('raw', 'courses') }}

),

renamed as (

    select
        ---------- lineage
        {{ lineage_columns() }},

        ---------- ids
        state_student_id,
        school_id,

        ---------- codes and labels
        school_year,
        term_type,
        subject_area,
        {{ subject_area_label('subject_area') }} as subject_area_label,
        course_type,

        ---------- text
        course_title,
        course_section,
        grade_to_date,
        final_grade,

        ---------- numbers (credits stay decimal, never float)
        cast(credits_attempted as decimal(4, 2)) as credits_attempted,
        cast(credits_granted as decimal(4, 2)) as credits_granted,
        cast(clock_hours as integer) as clock_hours,

        ---------- flags
        coalesce({{ flag_to_boolean('in_progress') }}, false) as in_progress

    from source

)

select * from renamed
