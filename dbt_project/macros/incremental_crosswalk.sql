{#-
    The crosswalk relations, incremental (docs/architecture.md, "The crosswalk in a delta"):
    int_xwalk_resolved (identity.xwalk with retired IDs followed to their survivors) and the
    two relations read beside it, xwalk_student_identity and near_match_worklist. A weekly
    delta changes a few crosswalk rows (identity rewrites only what it re-clustered); rebuilding
    the 1.9 M rows of each in full cost seconds on the marts' critical path.

    int_xwalk_resolved, keyed by state record, rewrites the records whose row can differ from
    the one it holds: the records whose identity.xwalk row (assigned ID, match method, assigned
    time) differs from it or exists on one side only, and the records whose national ID resolves
    through a merge now or did at the last build (an ID followed to another one: retired IDs,
    a few thousand at most). Every other record's assigned ID resolved to itself then and does
    now, so its row is unchanged. Exact when identity.xwalk holds one row per record and
    identity.national_ids one row per ID (their contracts; identity writes both keyed so).

    Bookkeeping beside it (intermediate.int_xwalk_resolved__...):
      merged_ids the national IDs that resolve to another one, and their survivors (every
                 build: read by the pre-hook's delete and by the model)
      affected   the records this build rewrote (dropped by a full build)
      written    where the rewritten rows start (macros/written_rows.sql)
      builds     one row per build: its number (never reused, a full build too) and whether
                 it was incremental

    The models read after it know from it which records it rewrote: each keeps
    <model>__xwalk_build_seen, the build of int_xwalk_resolved it last read. When that build
    is the one just before the last, and the last was incremental, the records it rewrote
    since are its __affected; when it is the last, none; otherwise (a full build of the
    crosswalk since, several builds missed, no bookkeeping yet) every record. The national-ID
    and linked-record models (incremental_records.sql) look for their re-linked records only
    among those (relinked_records_table), xwalk_student_identity and near_match_worklist
    rewrite their rows.
-#}

{#- An incremental model whose hooks are the macros <hooks>_pre_hook(this) and
    <hooks>_post_hook(this). -#}
{% macro hooked_incremental_config(hooks) %}
    {{ config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ " ~ hooks ~ "_pre_hook(this) }}",
        post_hook="{{ " ~ hooks ~ "_post_hook(this) }}"
    ) }}
{% endmacro %}

{% macro crosswalk_bookkeeping() -%}
    {{ incremental_children_bookkeeping('int_xwalk_resolved') }}
{%- endmacro %}

{#- <prefix>merged_ids: every national ID that resolves to another one, followed through
    merged_into to its surviving ID (survivor_id; hops: how many merges). Built once per build
    by the pre-hook: its delete reads it, and so does the model. -#}
{% macro merged_ids_table(prefix) %}
    create or replace table {{ prefix }}merged_ids as
    with recursive
    survivors as (

        select
            msix_id,
            msix_id as survivor_id,
            0 as hops

        from {{ source('identity', 'national_ids') }}
        where merged_into is null or status <> 'retired'

        union all

        select
            retired.msix_id,
            survivors.survivor_id,
            survivors.hops + 1 as hops

        from {{ source('identity', 'national_ids') }} as retired
        inner join survivors
            on retired.merged_into = survivors.msix_id
        where retired.status = 'retired' and survivors.hops < 50

    )
    select msix_id, survivor_id, hops
    from survivors
    where survivor_id <> msix_id
{%- endmacro %}

{% macro resolved_crosswalk_pre_hook(this_relation) %}
    {%- set prefix = crosswalk_bookkeeping() %}
    create table if not exists {{ prefix }}builds (build bigint, incremental boolean);
    {{ merged_ids_table(prefix) }};
    {%- if is_incremental() %}

    create or replace table {{ prefix }}affected as
    select
        coalesce(assigned.state, built.state) as state,
        coalesce(assigned.state_student_id, built.state_student_id) as state_student_id
    from {{ source('identity', 'xwalk') }} as assigned
    full outer join {{ this_relation }} as built
        on assigned.state = built.state and assigned.state_student_id = built.state_student_id
    where
        assigned.state is null
        or built.state is null
        or assigned.msix_id is distinct from built.assigned_msix_id
        or assigned.match_method is distinct from built.match_method
        or assigned.assigned_at is distinct from built.assigned_at
    union
    select built.state, built.state_student_id
    from {{ this_relation }} as built
    where built.msix_id is distinct from built.assigned_msix_id
    union
    select assigned.state, assigned.state_student_id
    from {{ source('identity', 'xwalk') }} as assigned
    where assigned.msix_id in (select merged.msix_id from {{ prefix }}merged_ids as merged);

    {{ delete_records(this_relation, prefix ~ 'affected') }};
    {{ remember_written_start(this_relation, prefix) }};
    {%- else %}
    {{ drop_affected(prefix) }};
    {%- endif %}
{% endmacro %}

{% macro resolved_crosswalk_post_hook(this_relation) %}
    {%- set prefix = crosswalk_bookkeeping() %}
    {%- if is_incremental() %}
    {{ remember_written_count(this_relation, prefix) }};
    {%- endif %}

    insert into {{ prefix }}builds
    select coalesce(max(build), 0) + 1, {{ 'true' if is_incremental() else 'false' }}
    from {{ prefix }}builds
{% endmacro %}

{#- What int_xwalk_resolved rewrote since the model of `prefix` last read it (see the top):
    'none' (not rebuilt since), 'affected' (rebuilt once since, incrementally: its __affected)
    or 'all' (rebuilt in full or several times since, the first build after upgrading, a
    missing bookkeeping table `needs`, or a full build of the model itself). -#}
{% macro crosswalk_rewritten(prefix, needs=none) %}
    {%- if not execute or not is_incremental() %}{{ return('all') }}{% endif %}
    {%- set model = prefix.split('.')[1] %}
    {%- set wanted = ['int_xwalk_resolved__builds', model ~ 'xwalk_build_seen'] + ([model ~ needs] if needs else []) %}
    {%- if not bookkeeping_tables_exist(wanted) %}{{ return('all') }}{% endif %}
    {%- set builds = run_query(
        'select (select max(build) from ' ~ crosswalk_bookkeeping() ~ 'builds),'
        ~ ' (select arg_max(incremental, build) from ' ~ crosswalk_bookkeeping() ~ 'builds),'
        ~ ' (select max(build) from ' ~ prefix ~ 'xwalk_build_seen)'
    ).rows[0] %}
    {%- set last, incremental, seen = builds[0], builds[1], builds[2] %}
    {%- if last is none or seen is none %}{{ return('all') }}{% endif %}
    {%- if seen == last %}{{ return('none') }}{% endif %}
    {%- if seen == last - 1 and incremental %}{{ return('affected') }}{% endif %}
    {{- return('all') }}
{%- endmacro %}

{#- A filter on `alias` (a row with state and state_student_id) keeping the records
    int_xwalk_resolved rewrote, as crosswalk_rewritten says ('all': no filter). -#}
{% macro crosswalk_rewritten_filter(alias, rewritten) %}
    {%- if rewritten == 'none' %}
    where false
    {%- elif rewritten == 'affected' %}
    where exists (
        select 1 from {{ crosswalk_bookkeeping() }}affected as rewritten
        where rewritten.state = {{ alias }}.state and rewritten.state_student_id = {{ alias }}.state_student_id
    )
    {%- endif %}
{%- endmacro %}

{#- <prefix>xwalk_changed: the state records int_xwalk_resolved rewrote since this model last
    read it; when that cannot be told, the records the call's body selects (every record the
    model holds or reads). -#}
{% macro crosswalk_changed_table(prefix) %}
    {%- set rewritten = crosswalk_rewritten(prefix) %}
    create or replace table {{ prefix }}xwalk_changed as
    {%- if rewritten == 'all' %}
    {{ caller() }}
    {%- else %}
    select rewritten_records.state, rewritten_records.state_student_id
    from {{ crosswalk_bookkeeping() }}affected as rewritten_records
    {%- if rewritten == 'none' %}
    where false
    {%- endif %}
    {%- endif %}
{%- endmacro %}

{% macro remember_crosswalk_build(prefix) %}
    create or replace table {{ prefix }}xwalk_build_seen as
    select max(build) as build from {{ crosswalk_bookkeeping() }}builds
{%- endmacro %}

{#-
    xwalk_student_identity: int_xwalk_resolved's row of each record and the record's latest
    stamp and deletion flag (int_student_records_latest, which changes only for the records of
    new raw.students loads). A delta rewrites the records of the student loads it has not
    seen (<model>__loads_seen, __new_loads) and those int_xwalk_resolved rewrote since.
-#}
{% macro crosswalk_records_pre_hook(this_relation) %}
    {%- set prefix = incremental_children_bookkeeping(this_relation.identifier) %}
    {{ new_loads_table(prefix, 'students') }};
    {%- if is_incremental() %}

    {% call crosswalk_changed_table(prefix) %}
    select state, state_student_id from {{ ref('int_xwalk_resolved') }}
    union
    select state, state_student_id from {{ this_relation }}
    {%- endcall %};

    {{ delete_changed_records(this_relation, prefix, 'students', 'xwalk_changed') }};
    {%- else %}
    {{ drop_affected(prefix) }};
    {%- endif %}
{% endmacro %}

{% macro crosswalk_records_post_hook(this_relation) %}
    {%- set prefix = incremental_children_bookkeeping(this_relation.identifier) %}
    {{ remember_new_loads(prefix) }};
    {%- if is_incremental() %}
    {{ remember_written_count(this_relation, prefix) }};
    {%- endif %}
    {{ remember_crosswalk_build(prefix) }}
{% endmacro %}

{#-
    near_match_worklist, keyed by pair_id: a delta rewrites the undecided pairs whose
    identity.near_matches row differs from the one it holds (or exists on one side only: new,
    decided or dropped pairs) and the pairs with a record int_xwalk_resolved rewrote since
    (msix_id_l, msix_id_r).
-#}
{#- The undecided candidate pairs of identity.near_matches. -#}
{% macro undecided_pairs() -%}
    select * from {{ source('identity', 'near_matches') }}
    where coalesce(status, 'undecided') = 'undecided'
{%- endmacro %}

{% macro worklist_pre_hook(this_relation) %}
    {%- set prefix = incremental_children_bookkeeping(this_relation.identifier) %}
    {%- set compared = [
        'state_l', 'state_student_id_l', 'state_r', 'state_student_id_r', 'match_probability',
        'agreeing_fields', 'disagreeing_fields', 'first_seen'
    ] %}
    {%- if is_incremental() %}

    {% call crosswalk_changed_table(prefix) %}
    select state, state_student_id from {{ ref('int_xwalk_resolved') }}
    union
    select state_l, state_student_id_l from {{ this_relation }}
    union
    select state_r, state_student_id_r from {{ this_relation }}
    {%- endcall %};

    create or replace table {{ prefix }}affected as
    with undecided as (
        {{ undecided_pairs() }}
    )
    select coalesce(pairs.pair_id, built.pair_id) as pair_id
    from undecided as pairs
    full outer join {{ this_relation }} as built
        on pairs.pair_id = built.pair_id
    where
        pairs.pair_id is null
        or built.pair_id is null
        {%- for column in compared %}
        or pairs.{{ column }} is distinct from built.{{ column }}
        {%- endfor %}
    {%- for side in ['l', 'r'] %}
    union
    select built.pair_id
    from {{ this_relation }} as built
    inner join {{ prefix }}xwalk_changed as changed
        on built.state_{{ side }} = changed.state and built.state_student_id_{{ side }} = changed.state_student_id
    {%- endfor %};

    delete from {{ this_relation }}
    where pair_id in (select affected.pair_id from {{ prefix }}affected as affected);
    {{ remember_written_start(this_relation, prefix) }};
    {%- else %}
    {{ drop_affected(prefix) }};
    {%- endif %}
{% endmacro %}

{% macro worklist_post_hook(this_relation) %}
    {%- set prefix = incremental_children_bookkeeping(this_relation.identifier) %}
    {%- if is_incremental() %}
    {{ remember_written_count(this_relation, prefix) }};
    {%- endif %}
    {{ remember_crosswalk_build(prefix) }}
{% endmacro %}
