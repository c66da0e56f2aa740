{#-
    Snapshots of an incremental current-record model (snapshots.yml: meta.records_of names the
    model and its raw tables) compare only the state records that model rebuilt since the
    snapshot's last run, not every row: the rows of other records are unchanged in the source,
    so comparing them finds nothing. The result is what a full comparison gives, hard deletes
    included (a retracted row belongs to a rebuilt record). A --full-refresh run compares all.

    Bookkeeping beside the intermediate models (as incremental_children.sql):
      intermediate.<snapshot>__loads_seen   load_ids the model had read at the snapshot's last run
      intermediate.<snapshot>__affected     (state, state_student_id) to compare in this run
-#}

{% macro snapshot_records_pre_hook(this_relation, model_name, raw_tables) %}
    {%- set prefix = incremental_children_bookkeeping(this_relation.identifier) %}
    -- no record of the loads seen (a first run, or a snapshot taken before this bookkeeping):
    -- every record is compared
    create table if not exists {{ prefix }}loads_seen (load_id varchar);
    {%- if flags.FULL_REFRESH %}
    -- a full refresh may have rebuilt the source model with other logic: compare every record
    delete from {{ prefix }}loads_seen;
    {%- endif %}

    create or replace table {{ prefix }}affected as
    with
    {{ changed_records_ctes(prefix, raw_tables, incremental_children_bookkeeping(model_name) ~ 'loads_seen') }}
    select state, state_student_id from changed_records
{% endmacro %}

{% macro snapshot_records_post_hook(this_relation, model_name) %}
    create or replace table {{ incremental_children_bookkeeping(this_relation.identifier) }}loads_seen as
    select load_id from {{ incremental_children_bookkeeping(model_name) }}loads_seen
{% endmacro %}

{#- dbt's snapshot staging query over the affected records only (when meta.records_of is set):
    both the source query and the snapshot's current rows are narrowed. -#}
{% macro duckdb__snapshot_staging_table(strategy, source_sql, target_relation) %}
    {%- set records_of = model.config.get('meta', {}).get('records_of') %}
    {%- if not records_of %}
        {{- return(default__snapshot_staging_table(strategy, source_sql, target_relation)) }}
    {%- endif %}
    {%- set affected = incremental_children_bookkeeping(model.name) ~ 'affected' %}
    {%- set affected_only -%}
        where exists (
            select 1 from {{ affected }} as affected
            where affected.state = scoped.state and affected.state_student_id = scoped.state_student_id
        )
    {%- endset %}
    {%- set scoped_source -%}
        select * from ({{ source_sql }}) as scoped {{ affected_only }}
    {%- endset %}
    {#- the snapshot macro only reads `from <target_relation>` here: a subquery serves -#}
    {%- set scoped_target -%}
        (select * from {{ target_relation }} as scoped {{ affected_only }})
    {%- endset %}
    {{- return(default__snapshot_staging_table(strategy, scoped_source, scoped_target)) }}
{% endmacro %}
