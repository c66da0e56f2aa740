{#-
    Incremental "current record" models (int_*_current, int_student_records_latest) kept correct
    under deltas, deletes, late files and duplicates, by state record: a build after the first
    recomputes every (state, state_student_id) whose student or child-record rows arrived in a
    file not seen by the last build (any stamp: a late older file can still change what counts),
    and only those. Every row of such a record is deleted and rebuilt from its whole history, so
    the result is what a full rebuild gives (each row depends only on its own record's history).

    Bookkeeping tables beside the model (incremental_children.sql):
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
    affected state records (a unit test, which has no `this`, reads everything). -#}
{% macro incremental_records_filter(relation_alias) %}
    {%- if this is not none and is_incremental() %}
    where exists (
        select 1 from {{ incremental_children_bookkeeping(this.identifier) }}affected as affected
        where
            affected.state = {{ relation_alias }}.state
            and affected.state_student_id = {{ relation_alias }}.state_student_id
    )
    {%- endif %}
{% endmacro %}

{#-
    Incremental models keyed by national ID (int_student_field_votes, int_moves_detected, the
    facts, dim_student, rpt_credit_accrual): a build after
    the first recomputes every national ID (old and new) of a state record that arrived in a
    file of raw.students or of `raw_tables` not seen by the last build, or whose national ID
    changed since (merge, split, new link; <model>__links_seen keeps the crosswalk the last build
    used). With an `as_of_rule` (as_of_affected.sql), also every national ID whose rows depend
    on the as-of date in a way the move from the last build's date (<model>__as_of_seen) to this
    one can change.
-#}
{% macro incremental_identities_config(raw_tables, as_of_rule='') %}
    {{ config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ incremental_identities_pre_hook(this, '" ~ raw_tables ~ "', '" ~ as_of_rule ~ "') }}",
        post_hook="{{ incremental_identities_post_hook(this, '" ~ raw_tables ~ "', '" ~ as_of_rule ~ "') }}"
    ) }}
{% endmacro %}

{% macro incremental_identities_pre_hook(this_relation, raw_tables, as_of_rule) %}
    {%- if is_incremental() %}
    {%- set prefix = incremental_children_bookkeeping(this_relation.identifier) %}
    -- no bookkeeping yet (a table built before it): every load is new, every link changed
    create table if not exists {{ prefix }}loads_seen (load_id varchar);
    create table if not exists {{ prefix }}links_seen (
        state varchar, state_student_id varchar, msix_id varchar
    );
    {%- if as_of_rule %}
    -- ... and every as-of-dependent row may have changed
    create table if not exists {{ prefix }}as_of_seen as select date '0001-01-01' as as_of_date;
    {%- endif %}

    create or replace table {{ prefix }}affected as
    with
    {{ changed_records_ctes(prefix, raw_tables) }},
    {%- if as_of_rule %}
    as_of_records as (
        {{ as_of_affected_records(as_of_rule, prefix ~ 'as_of_seen') }}
    ),
    {%- endif %}
    {{ affected_national_ids(prefix ~ 'links_seen', 'as_of_records' if as_of_rule else none) }};

    {{ delete_affected_national_ids(this_relation, prefix) }};
    {%- else %}
    select 1
    {%- endif %}
{% endmacro %}

{% macro incremental_identities_post_hook(this_relation, raw_tables, as_of_rule) %}
    {%- set prefix = incremental_children_bookkeeping(this_relation.identifier) %}
    {{ incremental_children_post_hook(this_relation, raw_tables) }};
    create or replace table {{ prefix }}links_seen as
    select state, state_student_id, msix_id from {{ ref('int_xwalk_resolved') }}
    {%- if as_of_rule %};
    create or replace table {{ prefix }}as_of_seen as select {{ as_of_date() }} as as_of_date
    {%- endif %}
{% endmacro %}
