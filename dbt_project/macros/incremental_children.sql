{#-
    The pieces the incremental models share (incremental_records.sql): a build after the first
    recomputes what the files not seen by the last build touched (any stamp: a late older file
    can still change what counts), and only that; everything it rebuilds is deleted first and
    rebuilt from its whole history, so replacements, retractions and per-child orderings stay
    exact.

    Bookkeeping tables beside the intermediate models:
      intermediate.<model>__loads_seen   load_ids the last build had read
      intermediate.<model>__new_loads    load_ids this build reads that the last one had not
      intermediate.<model>__touched      national-ID models: the state records whose national
                                         IDs (old and new) this build rebuilds
      intermediate.<model>__affected     what to rebuild in this build (state records or
                                         national IDs, old and new)
      intermediate.<model>__links_seen   national-ID models: the crosswalk the last build used
      intermediate.<model>__relinked     national-ID models: state records whose national ID
                                         changed since
      intermediate.<model>__xwalk_build_seen  the build of int_xwalk_resolved the last build
                                         read (incremental_crosswalk.sql)
-#}

{% macro incremental_children_bookkeeping(model_name) -%}
    intermediate.{{ model_name }}__
{%- endmacro %}

{#- Whether every one of the bookkeeping tables `table_names` exists in `intermediate` (run
    time only: false while dbt parses). -#}
{% macro bookkeeping_tables_exist(table_names) -%}
    {%- if not execute %}{{ return(false) }}{% endif %}
    {%- set found = run_query(
        "select count(*) from duckdb_tables() where schema_name = 'intermediate'"
        ~ " and table_name in ('" ~ table_names | join("', '") ~ "')"
    ) %}
    {{- return(found.columns[0].values()[0] == table_names | length) }}
{%- endmacro %}

{#- The raw tables a model's rows come from: raw.students and the record types named in
    `raw_tables` (one name, several separated by commas, or none). A model whose rows read every
    student row names `students` (int_student_records_latest, int_eligibility_periods); for
    every other model only a student's retraction (action `D`, which hides the record's child
    rows) changes its rows, so the students re-sent with their changed child records do not
    touch it (retractions_only), and the national-ID models that read the students' values
    (names, birth dates, ...) name what they read as `student_values` (student_values.sql:
    rebuilt where those values changed, or where a re-sent stamp can change a row). -#}
{% macro raw_tables_read(raw_tables) -%}
    {%- set tables = ['students'] %}
    {%- for table in raw_tables.split(',') %}
        {%- if table | trim and table | trim not in tables %}{% do tables.append(table | trim) %}{% endif %}
    {%- endfor %}
    {{- return(tables) }}
{%- endmacro %}

{#- Whether a model reading `raw_tables` is changed by `table`'s rows only through retractions:
    raw.students when the model does not name it. -#}
{% macro retractions_only(table, raw_tables) -%}
    {{- return(table == 'students' and 'students' not in raw_tables.split(',') | map('trim') | list) }}
{%- endmacro %}

{#-
    Two CTEs, `new_loads` (the load_ids of the relation `loads_available` not in
    <prefix>loads_seen) and `changed_records` (the state records those loads carry in
    raw.students and the other `raw_tables`; of raw.students only the retracted ones, unless
    the model names it).
-#}
{% macro changed_records_ctes(prefix, raw_tables, loads_available) %}
    new_loads as (
        select load_id from {{ loads_available }}
        except
        select load_id from {{ prefix }}loads_seen
    ),
    changed_records as (
        {%- for table in raw_tables_read(raw_tables) %}
        select state, state_student_id from {{ source('raw', table) }}
        where load_id in (select new_loads.load_id from new_loads)
        {%- if retractions_only(table, raw_tables) %} and action = 'D'{% endif %}
        {{ 'union' if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}

{#-
    <prefix>relinked: every state record whose national ID differs between <prefix>links_seen
    (state, state_student_id, msix_id as the last build used them) and int_xwalk_resolved
    (records new to either side included). links_seen equals the crosswalk the model last read,
    so only the records int_xwalk_resolved rewrote since can differ: when it can tell which
    (incremental_crosswalk.sql), only those are compared, not 1.87 M links at national scale.
-#}
{% macro relinked_records_table(prefix) %}
    {%- set rewritten = crosswalk_rewritten(prefix, needs='links_seen') %}
    create or replace table {{ prefix }}relinked as
    with
    previous as (
        select seen.* from {{ prefix }}links_seen as seen
        {{ crosswalk_rewritten_filter('seen', rewritten) }}
    ),
    xwalk as (
        select resolved.* from {{ ref('int_xwalk_resolved') }} as resolved
        {{ crosswalk_rewritten_filter('resolved', rewritten) }}
    )
    select
        coalesce(previous.state, xwalk.state) as state,
        coalesce(previous.state_student_id, xwalk.state_student_id) as state_student_id
    from previous
    full outer join xwalk
        on previous.state = xwalk.state and previous.state_student_id = xwalk.state_student_id
    where xwalk.msix_id is distinct from previous.msix_id
{%- endmacro %}

{#-
    The end of the query that lists the touched state records, after changed_records_ctes: every
    changed state record, every record in <prefix>relinked, and the state records in CTE
    `more_records` when given.
-#}
{% macro touched_records(prefix, more_records=none) %}
    select * from changed_records
    union
    select state, state_student_id from {{ prefix }}relinked
    {%- if more_records %}
    union
    select state, state_student_id from {{ more_records }}
    {%- endif %}
{%- endmacro %}

{#-
    The affected national IDs: the old (<prefix>links_seen) and new (int_xwalk_resolved)
    national IDs of the state records in <prefix>touched. The touched records are a table of
    their own so that DuckDB knows how few they are: estimated from the CTEs that list them (an
    as-of rule's date range over millions of rows), it built both joins' hash tables on the
    1.87 M links instead.
-#}
{% macro affected_national_ids(prefix) %}
    select previous.msix_id
    from {{ prefix }}links_seen as previous
    inner join {{ prefix }}touched as touched
        on previous.state = touched.state and previous.state_student_id = touched.state_student_id
    union
    select xwalk.msix_id
    from {{ ref('int_xwalk_resolved') }} as xwalk
    inner join {{ prefix }}touched as touched
        on xwalk.state = touched.state and xwalk.state_student_id = touched.state_student_id
{%- endmacro %}

{#- Delete the rows of the state records the relation `records` lists. -#}
{% macro delete_records(this_relation, records) %}
    delete from {{ this_relation }} as built
    where exists (
        select 1 from {{ records }} as records
        where records.state = built.state and records.state_student_id = built.state_student_id
    )
{%- endmacro %}

{#- A full build rebuilds every row: <prefix>affected and <prefix>written, what a delta
    rebuilt, go (its data tests then check the whole relation, macros/written_rows.sql). -#}
{% macro drop_affected(prefix) %}
    drop table if exists {{ prefix }}touched;
    drop table if exists {{ prefix }}affected;
    drop table if exists {{ prefix }}written
{%- endmacro %}

{#- <prefix>written: where the rows a delta inserts start (rowid; after the pre-hook's delete
    the insert appends every row past the last one kept) and, from the post-hook, how many
    rows start there. The data tests find the written rows by it (macros/written_rows.sql). -#}
{% macro remember_written_start(this_relation, prefix) %}
    create or replace table {{ prefix }}written as
    select coalesce(max(rowid) + 1, 0) as first_rowid, null::bigint as row_count
    from {{ this_relation }}
{%- endmacro %}

{% macro remember_written_count(this_relation, prefix) %}
    update {{ prefix }}written as written
    set row_count = (select count(*) from {{ this_relation }} as built where built.rowid >= written.first_rowid)
{%- endmacro %}

{% macro delete_affected_national_ids(this_relation, prefix) %}
    delete from {{ this_relation }}
    where msix_id in (select affected.msix_id from {{ prefix }}affected as affected)
{%- endmacro %}

{#- <prefix>loads_seen (kept by an incremental build, emptied by a full one) and
    <prefix>new_loads: the load_ids of raw.students and the other `raw_tables` that loads_seen
    does not hold; the model's post-hook adds them to it (remember_new_loads). -#}
{% macro new_loads_table(prefix, raw_tables) %}
    {%- if is_incremental() %}
    -- no record of the loads seen (a table built before this bookkeeping): every load is new
    create table if not exists {{ prefix }}loads_seen (load_id varchar);
    {%- else %}
    -- a full build reads every load
    create or replace table {{ prefix }}loads_seen (load_id varchar);
    {%- endif %}

    create or replace table {{ prefix }}new_loads as
    {%- for table in raw_tables_read(raw_tables) %}
    select load_id from {{ source('raw', table) }}
    {{ 'union' if not loop.last }}
    {%- endfor %}
    except
    select load_id from {{ prefix }}loads_seen
{%- endmacro %}

{% macro remember_new_loads(prefix) %}
    insert into {{ prefix }}loads_seen select load_id from {{ prefix }}new_loads
{%- endmacro %}

{#- The model's filter: in an incremental build only the affected national IDs (a unit test,
    which has no `this`, reads everything), and `condition` when given. -#}
{% macro incremental_children_filter(msix_id_column, condition=none) %}
    {%- if this is not none and is_incremental() %}
    where {{ msix_id_column }} in (
        select affected.msix_id from {{ incremental_children_bookkeeping(this.identifier) }}affected as affected
    )
    {%- if condition %} and {{ condition }}{% endif %}
    {%- elif condition %}
    where {{ condition }}
    {%- endif %}
{% endmacro %}
