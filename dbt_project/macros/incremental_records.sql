{#-
    Incremental "current record" models (int_*_current, int_student_records_latest,
    int_eligibility_periods) kept correct under deltas, deletes, late files and duplicates, by
    state record. A build after the first looks at the files not seen by the last build (any
    stamp: a late older file can still change what counts) and the (state, state_student_id)
    records they carry; each row depends only on its own record's history, so rebuilding those
    records gives what a full rebuild gives.

    `rule` says how much of a record's history the rebuild has to read:

    - 'latest_version' (int_student_records_latest: the row with the latest stamp, then load,
      then line) and 'latest_list' (int_*_current, current_child_records.sql: the rows of the
      latest stamp that carried rows of the type, unless a later `D` of the student retracted
      them; one row per natural key, the first by load and line) keep the built row(s) of a
      record whose new rows are all older than its built stamp (and, for lists, no new `D` at or
      after it), and leave a record with neither built nor new rows of the type empty: what
      counts has not changed. Every other touched record is deleted and rebuilt
      from its new rows alone, plus, when a new row has exactly the built stamp, the earlier rows
      of that stamp (the tie-breaks need them). That is exact: the rows of the new latest stamp
      are all new rows when it is newer than the built one, and a retraction hides the list
      whatever older rows there are. So a delta reads the new files' rows, not the raw tables'
      whole history (which took most of the staging phase at national scale).
    - '' (int_eligibility_periods, which reads the two models above): every touched record is
      deleted and rebuilt from those models.

    Bookkeeping tables beside the model (intermediate.<model>__...):
      loads_seen   load_ids the last build had read (this build adds new_loads at its end)
      new_loads    load_ids of the raw tables read that the last build had not seen
      affected     (state, state_student_id) the new loads carry
      rebuilt      for a rule: the affected records deleted and rebuilt, with `tied_stamp`
                   (the built stamp when a new row has exactly that stamp)
      values_changed, values_loads
                   int_student_records_latest: the records whose values its builds changed, by
                   load (student_values.sql)
-#}

{% macro incremental_records_config(raw_table, rule='') %}
    {{ config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ incremental_records_pre_hook(this, '" ~ raw_table ~ "', '" ~ rule ~ "') }}",
        post_hook="{{ incremental_records_post_hook(this, '" ~ rule ~ "') }}"
    ) }}
{% endmacro %}

{% macro incremental_records_pre_hook(this_relation, raw_table, rule) %}
    {%- set prefix = incremental_children_bookkeeping(this_relation.identifier) %}
    {{ new_loads_table(prefix, raw_table) }};

    {%- if is_incremental() %}

    create or replace table {{ prefix }}affected as
    with
    {{ changed_records_ctes(prefix, raw_table, loads_available=prefix ~ 'new_loads') }}
    select state, state_student_id from changed_records;

    {%- if rule %}

    {{ rebuilt_records(this_relation, prefix, raw_table, rule) }};
    {%- if rule == 'latest_version' %}

    {{ values_changed_pre_hook(this_relation, prefix) }}
    {%- endif %}
    {{ delete_rebuilt_rows(this_relation, prefix) }};
    {%- else %}
    {{ delete_records(this_relation, prefix ~ 'affected') }};
    {%- endif %}
    {{ remember_written_start(this_relation, prefix) }};
    {%- else %}
    {{ drop_affected(prefix) }};
    {%- if rule == 'latest_version' %}

    {{ values_changed_pre_hook(this_relation, prefix) }}
    {%- endif %}
    {%- endif %}
{% endmacro %}

{#- The built rows of the affected records, read once (a temporary table of the build's
    connection): their stamps tell which records to rebuild (rebuilt_records), their rowids which
    rows to delete (delete_rebuilt_rows; a second scan of the model for the delete cost about
    1 s of CPU at national scale). -#}
{% macro affected_built_rows(this_relation) -%}
    temp.{{ this_relation.identifier }}__affected_built_rows
{%- endmacro %}

{#- The affected records whose built rows can change (see the rule above), with tied_stamp. -#}
{% macro rebuilt_records(this_relation, prefix, raw_table, rule) %}
    {%- set new_rows = 'where load_id in (select new_loads.load_id from ' ~ prefix ~ 'new_loads as new_loads)' %}
    create or replace temporary table {{ affected_built_rows(this_relation) }} as
    select built_rows.rowid as built_rowid, built_rows.state, built_rows.state_student_id, built_rows.stamp
    from {{ this_relation }} as built_rows
    where exists (
        select 1 from {{ prefix }}affected as affected
        where affected.state = built_rows.state and affected.state_student_id = built_rows.state_student_id
    );

    create or replace table {{ prefix }}rebuilt as
    with
    built as (
        select built_rows.state, built_rows.state_student_id, max(built_rows.stamp) as stamp
        from {{ affected_built_rows(this_relation) }} as built_rows
        group by built_rows.state, built_rows.state_student_id
    ),
    arrived as (
        select state, state_student_id, max(stamp) as stamp
        from {{ source('raw', raw_table) }}
        {{ new_rows }}
        group by state, state_student_id
    ),
    retracted as (
        {%- if rule == 'latest_list' %}
        select state, state_student_id, max(stamp) as stamp
        from {{ source('raw', 'students') }}
        {{ new_rows }} and action = 'D'
        group by state, state_student_id
        {%- else %}
        select null::varchar as state, null::varchar as state_student_id, null::timestamp as stamp
        where false
        {%- endif %}
    )
    select
        affected.state,
        affected.state_student_id,
        case when arrived.stamp = built.stamp then built.stamp end as tied_stamp
    from {{ prefix }}affected as affected
    left join built
        on affected.state = built.state and affected.state_student_id = built.state_student_id
    left join arrived
        on affected.state = arrived.state and affected.state_student_id = arrived.state_student_id
    left join retracted
        on affected.state = retracted.state and affected.state_student_id = retracted.state_student_id
    -- the others keep what they have: built rows with every new row older and no new
    -- retraction at or after them, or no built rows and no new rows of the type
    where
        case
            when built.stamp is null then arrived.stamp is not null
            else coalesce(arrived.stamp >= built.stamp, false) or coalesce(retracted.stamp >= built.stamp, false)
        end
{%- endmacro %}

{#- The rowids of the rebuilt records' built rows (affected_built_rows): within the build's
    transaction a row keeps its rowid. -#}
{% macro rebuilt_rowids(this_relation, prefix) %}
    select built_rows.built_rowid from {{ affected_built_rows(this_relation) }} as built_rows
    where exists (
        select 1 from {{ prefix }}rebuilt as rebuilt
        where rebuilt.state = built_rows.state and rebuilt.state_student_id = built_rows.state_student_id
    )
{%- endmacro %}

{#- Delete the rebuilt records' rows by rowid, then drop affected_built_rows. -#}
{% macro delete_rebuilt_rows(this_relation, prefix) %}
    delete from {{ this_relation }} as built
    where built.rowid in ({{ rebuilt_rowids(this_relation, prefix) }});

    drop table {{ affected_built_rows(this_relation) }}
{%- endmacro %}

{% macro incremental_records_post_hook(this_relation, rule='') %}
    {%- set prefix = incremental_children_bookkeeping(this_relation.identifier) %}
    {{ remember_new_loads(prefix) }}
    {%- if is_incremental() %};
    {{ remember_written_count(this_relation, prefix) }}
    {%- if rule == 'latest_version' %};

    {{ values_changed_post_hook(this_relation, prefix) }}
    {%- endif %}
    {%- endif %}
{%- endmacro %}

{#- The rows of `relation` (a staging model) a build reads: in an incremental build with a
    rule, the new loads' rows of the rebuilt records and their earlier rows of a tied stamp;
    else everything (a unit test has no `this`). -#}
{% macro incremental_records_rows(relation) %}
    {%- if this is not none and is_incremental() %}
    {%- set prefix = incremental_children_bookkeeping(this.identifier) %}
    select new_rows.* from {{ relation }} as new_rows
    where
        new_rows.load_id in (select new_loads.load_id from {{ prefix }}new_loads as new_loads)
        and exists (
            select 1 from {{ prefix }}rebuilt as rebuilt
            where rebuilt.state = new_rows.state and rebuilt.state_student_id = new_rows.state_student_id
        )
    union all
    select tied_rows.* from {{ relation }} as tied_rows
    inner join {{ prefix }}rebuilt as rebuilt
        on
            tied_rows.state = rebuilt.state
            and tied_rows.state_student_id = rebuilt.state_student_id
            and tied_rows.stamp = rebuilt.tied_stamp
    where tied_rows.load_id not in (select new_loads.load_id from {{ prefix }}new_loads as new_loads)
    {%- else %}
    select * from {{ relation }}
    {%- endif %}
{% endmacro %}

{#- The model's filter on rows aliased `relation_alias`: in an incremental build only the
    records `records` names ('affected' or 'rebuilt'; a unit test, which has no `this`, reads
    everything). -#}
{% macro incremental_records_filter(relation_alias, records='affected') %}
    {%- if this is not none and is_incremental() %}
    where exists (
        select 1 from {{ incremental_children_bookkeeping(this.identifier) }}{{ records }} as records
        where
            records.state = {{ relation_alias }}.state
            and records.state_student_id = {{ relation_alias }}.state_student_id
    )
    {%- endif %}
{% endmacro %}

{#-
    Incremental models keyed by national ID (int_student_field_votes, int_moves_detected,
    fct_enrollment, fct_eligibility, fct_move, dim_student, rpt_credit_accrual): a build after
    the first recomputes every national ID (old and new) of a state record that arrived in a
    file of `raw_tables` not seen by the last build or was retracted in a new file of
    raw.students (retractions_only), or whose national ID changed since (merge, split, new link;
    <model>__links_seen keeps the crosswalk the last build used). With an `as_of_rule`
    (as_of_affected.sql), also every national ID whose rows depend on the as-of date in a way the
    move from the last build's date (<model>__as_of_seen) to this one can change. With
    `student_values` (student_values.sql: what the model reads of the students' own values),
    also the national IDs of the new student loads' records whose values changed, or whose
    re-sent stamp can change a row. With `projection_of` (upstream_builds.sql: a per-child
    projection of that model), the children that model rebuilt, when its build in this
    invocation came right after the one the projection last read.
-#}
{% macro incremental_identities_config(raw_tables, as_of_rule='', student_values='', projection_of='') %}
    {%- set arguments = "'" ~ raw_tables ~ "', '" ~ as_of_rule ~ "', '" ~ student_values ~ "', '" ~ projection_of ~ "'" %}
    {{ config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ incremental_identities_pre_hook(this, " ~ arguments ~ ") }}",
        post_hook="{{ incremental_identities_post_hook(this, " ~ arguments ~ ") }}"
    ) }}
{% endmacro %}
{% macro incremental_identities_pre_hook(this_relation, raw_tables, as_of_rule, student_values='', projection_of='') %}
    {%- set prefix = incremental_children_bookkeeping(this_relation.identifier) %}
    {{ linked_bookkeeping(prefix, raw_tables, as_of_rule) }}
    {%- if is_incremental() and projection_of and projection_can_reuse(projection_of, this_relation.identifier) %}

    {{ projection_affected(prefix, projection_of) }};

    {{ delete_affected_national_ids(this_relation, prefix) }};
    {{ remember_written_start(this_relation, prefix) }};
    {%- elif is_incremental() %}
    {%- if student_values %}

    {{ student_values_resent_table(this_relation, prefix, student_values) }};
    {%- endif %}

    create or replace table {{ prefix }}touched as
    with
    {{ changed_records_ctes(prefix, raw_tables, loads_available=prefix ~ 'new_loads') }},
    more_records as (
        select null::varchar as state, null::varchar as state_student_id where false
        {%- if as_of_rule %}
        union
        select as_of_records.state, as_of_records.state_student_id from (
            {{ as_of_affected_records(as_of_rule, prefix ~ 'as_of_seen') }}
        ) as as_of_records
        {%- endif %}
        {%- if student_values %}
        union
        {{ student_values_records(prefix) }}
        {%- endif %}
    )
    {{ touched_records(prefix, 'more_records') }};

    create or replace table {{ prefix }}affected as
    {{ affected_national_ids(prefix) }};

    {{ delete_affected_national_ids(this_relation, prefix) }};
    {{ remember_written_start(this_relation, prefix) }};
    {%- else %}
    {{ drop_affected(prefix) }};
    {%- endif %}
{% endmacro %}

{#- What both kinds of linked model keep before a build: <prefix>links_seen (and as_of_seen
    with an as-of rule), <prefix>new_loads and <prefix>relinked. -#}
{% macro linked_bookkeeping(prefix, raw_tables, as_of_rule='') %}
    {%- if is_incremental() %}
    -- no bookkeeping yet (a table built before it): every link changed
    create table if not exists {{ prefix }}links_seen (
        state varchar, state_student_id varchar, msix_id varchar
    );
    {%- else %}
    -- a full build links every record anew
    create or replace table {{ prefix }}links_seen (
        state varchar, state_student_id varchar, msix_id varchar
    );
    {%- endif %}
    {%- if as_of_rule %}
    -- ... and every as-of-dependent row may have changed
    create table if not exists {{ prefix }}as_of_seen as select date '0001-01-01' as as_of_date;
    {%- endif %}

    {{ new_loads_table(prefix, raw_tables) }};

    {{ relinked_records_table(prefix) }};
{%- endmacro %}

{#-
    Incremental linked facts whose every row depends only on its own state record and that
    record's national ID (fct_course, fct_assessment: a record's rows joined to the crosswalk):
    a build after the first deletes and rebuilds only the state records that arrived in a file
    of raw.students or of `raw_tables` not seen by the last build, and those whose national ID
    changed since (<model>__relinked), not every record of their children. The bookkeeping is
    the national-ID models' (links_seen, new_loads, relinked); <model>__affected holds state
    records, and the model filters its rows with incremental_records_filter.
-#}
{% macro incremental_linked_records_config(raw_tables) %}
    {{ config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ incremental_linked_records_pre_hook(this, '" ~ raw_tables ~ "') }}",
        post_hook="{{ incremental_identities_post_hook(this, '" ~ raw_tables ~ "', '') }}"
    ) }}
{% endmacro %}

{% macro incremental_linked_records_pre_hook(this_relation, raw_tables) %}
    {%- set prefix = incremental_children_bookkeeping(this_relation.identifier) %}
    {{ linked_bookkeeping(prefix, raw_tables) }}
    {%- if is_incremental() %}

    {{ delete_changed_records(this_relation, prefix, raw_tables, 'relinked') }};
    {%- else %}
    {{ drop_affected(prefix) }};
    {%- endif %}
{% endmacro %}

{#- <prefix>affected: the state records of the new loads of raw.students and `raw_tables`
    and those of <prefix><more_records>; their rows are deleted, and where the rows the build
    inserts will start is kept (<prefix>written). -#}
{% macro delete_changed_records(this_relation, prefix, raw_tables, more_records) %}
    create or replace table {{ prefix }}affected as
    with
    {{ changed_records_ctes(prefix, raw_tables, loads_available=prefix ~ 'new_loads') }}
    select state, state_student_id from changed_records
    union
    select state, state_student_id from {{ prefix }}{{ more_records }};

    {{ delete_records(this_relation, prefix ~ 'affected') }};
    {{ remember_written_start(this_relation, prefix) }}
{%- endmacro %}

{#- The bookkeeping catches up with this build: its loads are seen and links_seen equals the
    crosswalk again, by changing only the relinked records' rows (rewriting every record's link
    cost about a second per model at national scale). -#}
{% macro incremental_identities_post_hook(this_relation, raw_tables, as_of_rule, student_values='', projection_of='') %}
    {%- set prefix = incremental_children_bookkeeping(this_relation.identifier) %}
    {{ remember_new_loads(prefix) }};
    {{ remember_build(prefix) }};
    {%- set upstream = upstream_model(student_values, projection_of) %}
    {%- if upstream %}
    {{ remember_upstream_read(prefix, upstream) }};
    {%- endif %}
    {%- if is_incremental() %}

    {{ remember_written_count(this_relation, prefix) }};
    {%- if student_values == 'identity_columns' %}

    {{ student_values_restamp(this_relation, prefix) }};
    {%- endif %}
    {%- endif %}

    delete from {{ prefix }}links_seen as seen
    where exists (
        select 1 from {{ prefix }}relinked as relinked
        where relinked.state = seen.state and relinked.state_student_id = seen.state_student_id
    );

    insert into {{ prefix }}links_seen
    select xwalk.state, xwalk.state_student_id, xwalk.msix_id
    from {{ ref('int_xwalk_resolved') }} as xwalk
    where exists (
        select 1 from {{ prefix }}relinked as relinked
        where relinked.state = xwalk.state and relinked.state_student_id = xwalk.state_student_id
    );

    {{ remember_crosswalk_build(prefix) }}
    {%- if as_of_rule %};

    create or replace table {{ prefix }}as_of_seen as select {{ as_of_date() }} as as_of_date
    {%- endif %}
{% endmacro %}
