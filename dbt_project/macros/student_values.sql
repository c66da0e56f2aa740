{#-
    Which re-sent student records can change the national-ID models that read the students' own
    values (int_student_field_votes, dim_student, fct_eligibility). A state re-sends every
    student whose child records changed, and most re-sends carry the values and deletion flag
    of the record's previous latest version with a later stamp (197,564 of the 198,484 student
    records of the weekly delta at national scale): those rebuild a child only where the model
    reads the stamp.

    int_student_records_latest knows for free which records' values changed: it reads the
    re-sent rows and deletes the rows they replace. Its build keeps (values_changed_* below):
      intermediate.int_student_records_latest__values_changed
                     (state, state_student_id, load_id, birth_date_changed): a record whose
                     values or deletion flag (every column but the stamp) its build changed, or
                     which it built for the first time, once per new load carrying the record;
                     birth_date_changed when the birth date changed (or the record is new)
      intermediate.int_student_records_latest__values_loads
                     (load_id): the loads whose changes values_changed holds: every load an
                     incremental build read since the bookkeeping exists (a full build empties
                     both: its loads count as changing every record they carry)
    A national-ID model joins them with ITS new loads (<model>__new_loads), so a change stays
    visible to a model that skipped the staging builds in between; a new student load that
    values_loads lacks (a table built before this bookkeeping) changes every record it carries.

    `student_values` names what the model reads of the students:
    - 'birth_date' (fct_eligibility: through int_eligibility_periods, the birth date; a
      retraction reaches it through the moves, retractions_only): the records whose birth date
      changed.
    - 'identity_rows' (int_student_field_votes) and 'identity_columns' (dim_student): the records
      whose values or deletion flag changed, and the re-sent records, not deleted, of which some
      field they fill is not spelled exactly as their child's best value as the model last built
      it (`respelled`). A record's stamp never decreases (its latest version has the latest
      stamp), so where it spells every value it fills as the best one the later stamp changes no
      vote: it agrees with each winning value, whose latest stamp can only rise (it stays the
      winner), and the winner's spelling comes from its latest record (the same spelling); every
      other value keeps its count and stamps. dim_student's other children of re-sent records
      only get latest_stamp moved up (student_values_restamp, a post-hook UPDATE).
      int_student_field_votes reads the best values from dim_student's columns (one row per
      child, ~0.5 s at national scale) instead of its own rows (one per child and field, ~2.8 s
      of CPU) when dim_student was last built from the votes as they are now: then both hold
      the same best value for every child (dim_student only pivots them). Which votes it read is
      kept by upstream_builds.sql (int_student_field_votes__builds,
      dim_student__upstream_read); when dim_student did not read the votes' last build (not
      built since, or its build failed) the votes read their own rows.
-#}

{% macro student_values_compared_columns() -%}
    {{- return(['is_deleted', 'msix_id'] + identity_fields()) }}
{%- endmacro %}

{#- int_student_records_latest's pre-hook (rule 'latest_version'), before it deletes the
    records it rebuilds: the bookkeeping tables, and the values of those records before
    (<prefix>values_before). -#}
{% macro values_changed_pre_hook(this_relation, prefix) %}
    {%- if is_incremental() %}
    create table if not exists {{ prefix }}values_changed (
        state varchar, state_student_id varchar, load_id varchar, birth_date_changed boolean
    );
    create table if not exists {{ prefix }}values_loads (load_id varchar);

    create or replace table {{ prefix }}values_before as
    select built.state, built.state_student_id, {{ student_values_compared_columns() | join(', ') }}
    from {{ this_relation }} as built
    where built.rowid in ({{ rebuilt_rowids(this_relation, prefix) }});
    {%- else %}
    create or replace table {{ prefix }}values_changed (
        state varchar, state_student_id varchar, load_id varchar, birth_date_changed boolean
    );
    create or replace table {{ prefix }}values_loads (load_id varchar);
    {%- endif %}
{%- endmacro %}

{#- Its post-hook (incremental builds): the rebuilt records (the rows written) whose values
    differ from values_before, once per new load that carries them; the new loads are covered. -#}
{% macro values_changed_post_hook(this_relation, prefix) %}
    insert into {{ prefix }}values_changed
    with
    rebuilt as (
        select built.*
        from {{ this_relation }} as built, {{ prefix }}written as written
        where built.rowid >= written.first_rowid
    ),
    changed as (
        select
            rebuilt.state,
            rebuilt.state_student_id,
            before.state is null or before.birth_date is distinct from rebuilt.birth_date as birth_date_changed
        from rebuilt
        left join {{ prefix }}values_before as before
            on rebuilt.state = before.state and rebuilt.state_student_id = before.state_student_id
        where
            before.state is null
            {%- for column in student_values_compared_columns() %}
            or before.{{ column }} is distinct from rebuilt.{{ column }}
            {%- endfor %}
    )
    select distinct changed.state, changed.state_student_id, student_rows.load_id, changed.birth_date_changed
    from changed
    inner join {{ source('raw', 'students') }} as student_rows
        on changed.state = student_rows.state and changed.state_student_id = student_rows.state_student_id
    where student_rows.load_id in (select new_loads.load_id from {{ prefix }}new_loads as new_loads);

    insert into {{ prefix }}values_loads select load_id from {{ prefix }}new_loads;

    drop table {{ prefix }}values_before
{%- endmacro %}

{#- Whether int_student_records_latest's values bookkeeping exists (a warehouse whose staging
    was last built before it has none: every re-sent record then counts as changed). -#}
{% macro values_bookkeeping_exists() -%}
    {{- return(bookkeeping_tables_exist([
        'int_student_records_latest__values_changed', 'int_student_records_latest__values_loads'
    ])) }}
{%- endmacro %}

{#- A national-ID model's pre-hook, before its affected national IDs (incremental builds):
    <prefix>values_resent, the records of its new student loads with their national ID, stamp,
    deletion flag, `revalued` (values changed: the child is rebuilt) and ('identity_*')
    `respelled` (see above: the child is rebuilt). -#}
{% macro student_values_resent_table(this_relation, prefix, student_values) %}
    {%- set bookkeeping = 'intermediate.int_student_records_latest__values_' %}
    {%- set new_load_ids = 'select new_loads.load_id from ' ~ prefix ~ 'new_loads as new_loads' %}
    {%- set identity = student_values in ('identity_rows', 'identity_columns') %}
    {%- if not identity and student_values != 'birth_date' %}
    {{- exceptions.raise_compiler_error('unknown student_values: ' ~ student_values) }}
    {%- endif %}
    create or replace table {{ prefix }}values_resent as
    with
    arrived as (
        select distinct student_rows.state, student_rows.state_student_id, student_rows.load_id
        from {{ source('raw', 'students') }} as student_rows
        where student_rows.load_id in ({{ new_load_ids }})
    ),
    revalued as (
        {%- if values_bookkeeping_exists() %}
        select arrived.state, arrived.state_student_id from arrived
        where arrived.load_id not in (select covered.load_id from {{ bookkeeping }}loads as covered)
        union
        select changed.state, changed.state_student_id from {{ bookkeeping }}changed as changed
        where
            changed.load_id in ({{ new_load_ids }})
            {%- if not identity %} and changed.birth_date_changed{% endif %}
        {%- else %}
        select arrived.state, arrived.state_student_id from arrived
        {%- endif %}
    ),
    {%- if identity %}
    resent as (
        select
            resent_records.state,
            resent_records.state_student_id,
            records.stamp,
            records.is_deleted,
            {%- for field in identity_fields() %}
            records.{{ field }},
            {%- endfor %}
            xwalk.msix_id as linked_msix_id,
            records.state is null or revalued.state is not null as revalued
        from (select distinct arrived.state, arrived.state_student_id from arrived) as resent_records
        left join {{ ref('int_student_records_latest') }} as records
            on resent_records.state = records.state and resent_records.state_student_id = records.state_student_id
        left join revalued
            on resent_records.state = revalued.state and resent_records.state_student_id = revalued.state_student_id
        left join {{ ref('int_xwalk_resolved') }} as xwalk
            on records.state = xwalk.state and records.state_student_id = xwalk.state_student_id
    ),
    candidates as (
        select * from resent
        where not resent.revalued and not resent.is_deleted and resent.linked_msix_id is not null
    ),
    respelled as (
        {{ respelled_records(this_relation, student_values) }}
    )
    select
        resent.state,
        resent.state_student_id,
        resent.linked_msix_id as msix_id,
        resent.stamp,
        resent.is_deleted,
        resent.revalued,
        respelled.state is not null as respelled
    from resent
    left join respelled
        on resent.state = respelled.state and resent.state_student_id = respelled.state_student_id
    {%- else %}
    revalued_records as (select distinct revalued.state, revalued.state_student_id from revalued)
    select
        revalued_records.state,
        revalued_records.state_student_id,
        true as revalued,
        false as respelled
    from revalued_records
    {%- endif %}
{%- endmacro %}

{#- The candidates (CTE) that fill a field with a spelling other than their child's best value
    in the model as built (`this_relation`: one row per field, or one column per field; the
    votes read dim_student's columns when it mirrors them). -#}
{% macro respelled_records(this_relation, student_values) %}
    {%- if student_values == 'identity_rows' and not dim_student_mirrors_votes() %}
    select distinct filled.state, filled.state_student_id
    from (
        select
            candidates.state,
            candidates.state_student_id,
            candidates.linked_msix_id,
            unnest([
                {%- for field in identity_fields() %}
                { 'field_name': '{{ field }}', 'field_value': cast(candidates.{{ field }} as varchar) }
                {{- ',' if not loop.last }}
                {%- endfor %}
            ], recursive := true)
        from candidates
    ) as filled
    left join (
        select built.msix_id, built.field_name, built.best_value
        from {{ this_relation }} as built
        where built.msix_id in (select candidates.linked_msix_id from candidates)
    ) as built
        on filled.linked_msix_id = built.msix_id and filled.field_name = built.field_name
    where
        nullif(trim(filled.field_value), '') is not null
        and filled.field_value is distinct from built.best_value
    {%- else %}
    {%- set columns_relation = this_relation if student_values == 'identity_columns' else dim_student_relation() %}
    select candidates.state, candidates.state_student_id
    from candidates
    left join {{ columns_relation }} as built on candidates.linked_msix_id = built.msix_id
    where
        built.msix_id is null
        {%- for field in identity_fields() %}
        or (
            nullif(trim(cast(candidates.{{ field }} as varchar)), '') is not null
            and cast(candidates.{{ field }} as varchar) is distinct from cast(built.{{ field }} as varchar)
        )
        {%- endfor %}
    {%- endif %}
{%- endmacro %}

{#- The records whose values make the model rebuild their national IDs (for the affected CTEs). -#}
{% macro student_values_records(prefix) %}
    select resent.state, resent.state_student_id from {{ prefix }}values_resent as resent
    where resent.revalued or resent.respelled
{%- endmacro %}

{#- dim_student's post-hook: the children of re-sent records not rebuilt keep every value but
    latest_stamp (the latest stamp of their records not deleted), which moves up to their
    re-sent records' (the child's other records did not change, and a stamp never decreases). -#}
{% macro student_values_restamp(this_relation, prefix) %}
    update {{ this_relation }} as built
    set latest_stamp = restamped.latest_stamp
    from (
        select resent.msix_id, max(resent.stamp) as latest_stamp
        from {{ prefix }}values_resent as resent
        where
            not resent.revalued
            and not resent.respelled
            and not resent.is_deleted
            and resent.msix_id is not null
            and resent.msix_id not in (select affected.msix_id from {{ prefix }}affected as affected)
        group by resent.msix_id
    ) as restamped
    where built.msix_id = restamped.msix_id and restamped.latest_stamp > built.latest_stamp
{%- endmacro %}

{#- dim_student, which int_student_field_votes may not ref (dim_student reads the votes). -#}
{% macro dim_student_relation() -%}
    marts.dim_student
{%- endmacro %}

{#- Whether dim_student's last build read the votes as they are now (run time only). -#}
{% macro dim_student_mirrors_votes() -%}
    {{- return(read_upstream_build('int_student_field_votes', 'dim_student')) }}
{%- endmacro %}
