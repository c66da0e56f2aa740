{#-
    Incremental "current record" models (int_*_current, int_student_records_latest) kept correct
    under deltas, deletes, late files and duplicates, by state record: a build after the first
    recomputes every (state, state_student_id) whose student or child-record rows arrived in a
    file not seen by the last build (any stamp: a late older file can still change what counts),
    and only those. Every row of such a record is deleted and rebuilt from its whole history, so
    the result is what a full rebuild gives (each row depends only on its own record's history).

    Bookkeeping tables beside the model (as incremental_children.sql):
      intermediate.<model>__loads_seen   load_ids the last build had read
      intermediate.<model>__affected     (state, state_student_id) to rebuild in this build
-#}

{% macro incremental_records_config(raw_table) %}
    {{ config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ incremental_records_pre_hook(this, '" ~ raw_table ~ "') }}",
        post_hook="{{ incremental_children_post_hook(this, '" ~ raw_table ~ "') }}"
    ) }}
{% endmacro %}

{% macro incremental_records_pre_hook(this_relation, raw_table) %}
    {%- if is_incremental() %}
    {%- set prefix = incremental_children_bookkeeping(this_relation.identifier) %}
    -- no record of the loads seen (a table built before this bookkeeping): every load is new
    create table if not exists {{ prefix }}loads_seen (load_id varchar);

    create or replace table {{ prefix }}affected as
    with
    {{ changed_records_ctes(prefix, raw_table) }}
    select state, state_student_id from changed_records;

    delete from {{ this_relation }} as built
    where exists (
        select 1 from {{ prefix }}affected as affected
        where affected.state = built.state and affected.state_student_id = built.state_student_id
    );
    {%- else %}
    select 1
    {%- endif %}
{% endmacro %}

{#- The model's filter on rows aliased `relation_alias`: in an incremental build only the
    affected state records. -#}
{% macro incremental_records_filter(relation_alias) %}
    {%- if is_incremental() %}
    where exists (
        select 1 from {{ incremental_children_bookkeeping(this.identifier) }}affected as affected
        where
            affected.state = {{ relation_alias }}.state
            and affected.state_student_id = {{ relation_alias }}.state_student_id
    )
    {%- endif %}
{% endmacro %}

{#-
    Incremental models keyed by national ID that read only student records and the crosswalk
    (int_student_field_votes): a build after the first recomputes every national ID (old and
    new) of a state record that arrived in a student file not seen by the last build, or whose
    national ID changed since (merge, split, new link; <model>__links_seen keeps the crosswalk
    the last build used, as the model itself has no state record columns).
-#}
{% macro incremental_identities_pre_hook(this_relation) %}
    {%- if is_incremental() %}
    {%- set prefix = incremental_children_bookkeeping(this_relation.identifier) %}
    -- no bookkeeping yet (a table built before it): every load is new, every link changed
    create table if not exists {{ prefix }}loads_seen (load_id varchar);
    create table if not exists {{ prefix }}links_seen (
        state varchar, state_student_id varchar, msix_id varchar
    );

    create or replace table {{ prefix }}affected as
    with
    {{ changed_records_ctes(prefix, 'students') }},
    {{ affected_national_ids(prefix ~ 'links_seen', 'full outer') }};

    {{ delete_affected_national_ids(this_relation, prefix) }};
    {%- else %}
    select 1
    {%- endif %}
{% endmacro %}

{% macro incremental_identities_post_hook(this_relation) %}
    {%- set prefix = incremental_children_bookkeeping(this_relation.identifier) %}
    {{ incremental_children_post_hook(this_relation, 'students') }};
    create or replace table {{ prefix }}links_seen as
    select state, state_student_id, msix_id from {{ ref('int_xwalk_resolved') }}
{% endmacro %}
