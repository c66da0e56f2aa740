{#-
    Incremental facts kept correct under deltas, deletes, late files and re-linking, by child:
    a build after the first recomputes every national ID touched since the last build and only
    those. Touched: a student or child-record row of the record type arrived in a file not seen
    by the last build (any stamp: a late older file can still change what counts), or a state
    record now resolves to another national ID (merge, split, new link). All of the child's rows
    are deleted and rebuilt, so replacements, retractions and per-child orderings stay exact.

    Bookkeeping tables beside the intermediate models:
      intermediate.<model>__loads_seen   load_ids the last build had read
      intermediate.<model>__affected     national IDs (old and new) to rebuild in this build
-#}

{% macro incremental_children_bookkeeping(model_name) -%}
    intermediate.{{ model_name }}__
{%- endmacro %}

{#-
    Two CTEs, `new_loads` (load_ids of raw.students and raw.<raw_table> not in
    <prefix>loads_seen) and `changed_records` (the state records those loads carry).
-#}
{% macro changed_records_ctes(prefix, raw_table) %}
    new_loads as (
        select load_id from {{ source('raw', 'students') }}
        union
        select load_id from {{ source('raw', raw_table) }}
        except
        select load_id from {{ prefix }}loads_seen
    ),
    changed_records as (
        select state, state_student_id from {{ source('raw', 'students') }}
        where load_id in (select new_loads.load_id from new_loads)
        union
        select state, state_student_id from {{ source('raw', raw_table) }}
        where load_id in (select new_loads.load_id from new_loads)
    )
{%- endmacro %}

{#-
    The end of the query that lists affected national IDs, after changed_records_ctes: the old
    and new national IDs of every changed state record and of every state record whose national
    ID differs between `previous_links` (state, state_student_id, msix_id as the last build
    used them) and int_xwalk_resolved. `join_kind` 'left' looks only at records in
    previous_links; 'full outer' also at records new to the crosswalk.
-#}
{% macro affected_national_ids(previous_links, join_kind) %}
    relinked_records as (
        select
            coalesce(previous.state, xwalk.state) as state,
            coalesce(previous.state_student_id, xwalk.state_student_id) as state_student_id
        from {{ previous_links }} as previous
        {{ join_kind }} join {{ ref('int_xwalk_resolved') }} as xwalk
            on previous.state = xwalk.state and previous.state_student_id = xwalk.state_student_id
        where xwalk.msix_id is distinct from previous.msix_id
    ),
    touched_records as (
        select * from changed_records
        union
        select * from relinked_records
    )
    select previous.msix_id
    from {{ previous_links }} as previous
    inner join touched_records
        on previous.state = touched_records.state and previous.state_student_id = touched_records.state_student_id
    union
    select xwalk.msix_id
    from {{ ref('int_xwalk_resolved') }} as xwalk
    inner join touched_records
        on xwalk.state = touched_records.state and xwalk.state_student_id = touched_records.state_student_id
{%- endmacro %}

{% macro delete_affected_national_ids(this_relation, prefix) %}
    delete from {{ this_relation }}
    where msix_id in (select affected.msix_id from {{ prefix }}affected as affected)
{%- endmacro %}

{% macro incremental_children_pre_hook(this_relation, raw_table) %}
    {%- if is_incremental() %}
    {%- set prefix = incremental_children_bookkeeping(this_relation.identifier) %}
    -- no record of the loads seen (a table built before this bookkeeping): every load is new
    create table if not exists {{ prefix }}loads_seen (load_id varchar);

    create or replace table {{ prefix }}affected as
    with
    {{ changed_records_ctes(prefix, raw_table) }},
    {{ affected_national_ids(this_relation, 'left') }};

    {{ delete_affected_national_ids(this_relation, prefix) }};
    {%- else %}
    select 1
    {%- endif %}
{% endmacro %}

{% macro incremental_children_post_hook(this_relation, raw_table) %}
    {%- set prefix = incremental_children_bookkeeping(this_relation.identifier) %}
    create or replace table {{ prefix }}loads_seen as
    select load_id from {{ source('raw', 'students') }}
    union
    select load_id from {{ source('raw', raw_table) }}
{% endmacro %}

{#- The model's filter: in an incremental build only the affected national IDs. -#}
{% macro incremental_children_filter(msix_id_column) %}
    {%- if is_incremental() %}
    where {{ msix_id_column }} in (
        select affected.msix_id from {{ incremental_children_bookkeeping(this.identifier) }}affected as affected
    )
    {%- endif %}
{% endmacro %}
