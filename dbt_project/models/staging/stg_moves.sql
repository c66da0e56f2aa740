with

source as (

    select * from {{ source('raw', 'moves') }}

),

renamed as (

    select
        ---------- lineage
        {{ lineage_columns() }},

        ---------- ids
        state_student_id,

        ---------- places
        move_from_city,
        move_from_state,
        move_from_country,
        move_to_city,
        coalesce(move_to_state, state) as move_to_state,

        ---------- dates
        qad,
        lqm_date,
        eligibility_expiration_date

    from source

)

select * from renamed
