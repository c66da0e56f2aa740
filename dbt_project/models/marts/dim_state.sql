-- One row per submitting state (50 states, DC, PR).

with

state_codes as (

    select * from {{ ref('state_codes') }}

),

final as (

    select
        cast(state as varchar) as state,
        cast(state_name as varchar) as state_name,
        cast(fips_code as varchar) as fips_code,
        cast(census_region as varchar) as census_region

    from state_codes

)

select * from final
