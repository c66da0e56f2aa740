with

source as (

    select * from {{ source('raw', 'assessments') }}

),

renamed as (

    select
        ---------- lineage
        {{ lineage_columns() }},

        ---------- ids
        state_student_id,

        ---------- text
        assessment_title,
        content_area,
        assessment_type,
        score,
        interpretation,

        ---------- dates (YYYY-MM as delivered, plus the first day of that month)
        administration_date,
        cast(strptime(administration_date || '-01', '%Y-%m-%d') as date) as administration_month

    from source

)

select * from renamed
