-- One row per undecided candidate pair: the two state records, the match probability, the
-- fields that agree and disagree, and the national IDs the records hold now. Incremental by
-- pair: a delta rewrites the pairs whose row or records changed (incremental_crosswalk.sql).

{{ hooked_incremental_config('worklist') }}

with

near_matches as (

    {{ undecided_pairs() }}
    {%- if this is not none and is_incremental() %}
        and pair_id in (select affected.pair_id from {{ incremental_children_bookkeeping(this.identifier) }}affected as affected)
    {%- endif %}

),

xwalk as (

    select * from {{ ref('int_xwalk_resolved') }}

),

final as (

    select
        cast(near_matches.pair_id as varchar) as pair_id,
        cast(near_matches.state_l as varchar) as state_l,
        cast(near_matches.state_student_id_l as varchar) as state_student_id_l,
        cast(near_matches.state_r as varchar) as state_r,
        cast(near_matches.state_student_id_r as varchar) as state_student_id_r,
        cast(near_matches.match_probability as double) as match_probability,
        cast(near_matches.agreeing_fields as varchar) as agreeing_fields,
        cast(near_matches.disagreeing_fields as varchar) as disagreeing_fields,
        cast(near_matches.first_seen as timestamp) as first_seen,
        cast(left_ids.msix_id as varchar) as msix_id_l,
        cast(right_ids.msix_id as varchar) as msix_id_r

    from near_matches
    left join xwalk as left_ids
        on
            near_matches.state_l = left_ids.state
            and near_matches.state_student_id_l = left_ids.state_student_id
    left join xwalk as right_ids
        on
            near_matches.state_r = right_ids.state
            and near_matches.state_student_id_r = right_ids.state_student_id

)

select * from final
