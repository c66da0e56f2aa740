with

source as (

    select * from {{ source('raw', 'students') }}

),

renamed as (

    select
        ---------- lineage
        {{ lineage_columns() }},

        ---------- ids
        state_student_id,
        msix_id,

        ---------- submission semantics
        coalesce(nullif(action, ''), 'U') as action,
        coalesce(action = 'D', false) as is_deletion,

        ---------- identity text
        first_name,
        middle_name,
        last_name_1,
        last_name_2,
        suffix,
        sex,
        birth_city,
        birth_state,
        birth_country,
        parent1_first_name,
        parent1_last_name,
        parent2_first_name,
        parent2_last_name,

        ---------- dates and flags
        birth_date,
        {{ flag_to_boolean('multiple_birth') }} as multiple_birth

    from source

)

select * from renamed
