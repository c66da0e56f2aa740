{#-
    A national-ID model that is a per-child projection of another (fct_move of
    int_moves_detected: each child's rows come from its rows there and the calendar alone) need
    not work out which children to rebuild when the other model's build in this dbt invocation
    came right after the build the projection last read: the children to rebuild are then
    exactly those the other model rebuilt (its __affected), since no other child's rows changed
    there. The projection takes them (for fct_move this skips its as-of rule, ~0.7 s at
    national scale); otherwise (a build of the other model it missed, a full build of either,
    the first build after this bookkeeping) it works them out as every national-ID model does.

    Bookkeeping:
      intermediate.<model>__builds          every national-ID model: the dbt invocation of its
                                            last build and of the one before (one row)
      intermediate.<model>__upstream_read   a projection: the invocation whose build of the
                                            other model its last build read
-#}

{#- Whether the projection `model` may take `upstream`'s __affected (run time only). -#}
{% macro projection_can_reuse(upstream, model) -%}
    {%- if not execute %}{{ return(false) }}{% endif %}
    {%- set tables = [upstream ~ '__builds', upstream ~ '__affected', model ~ '__upstream_read'] %}
    {%- if not bookkeeping_tables_exist(tables) %}{{ return(false) }}{% endif %}
    {%- set found = run_query(
        "select count(*) from intermediate." ~ upstream ~ "__builds as built"
        ~ " inner join intermediate." ~ model ~ "__upstream_read as read"
        ~ " on built.previous_invocation_id = read.invocation_id"
        ~ " where built.invocation_id = '" ~ invocation_id ~ "'"
    ) %}
    {{- return(found.columns[0].values()[0] == 1) }}
{%- endmacro %}

{#- The projection's pre-hook part: its affected national IDs are the upstream model's. -#}
{% macro projection_affected(prefix, upstream) %}
    drop table if exists {{ prefix }}touched;

    create or replace table {{ prefix }}affected as
    select upstream_affected.msix_id from intermediate.{{ upstream }}__affected as upstream_affected
{%- endmacro %}

{#- Every national-ID model's post-hook part: this invocation built it. -#}
{% macro remember_build(prefix) %}
    create table if not exists {{ prefix }}builds (invocation_id varchar, previous_invocation_id varchar);

    update {{ prefix }}builds set previous_invocation_id = invocation_id, invocation_id = '{{ invocation_id }}';

    insert into {{ prefix }}builds
    select '{{ invocation_id }}', null where not exists (select 1 from {{ prefix }}builds)
{%- endmacro %}

{#- A projection's post-hook part: the build of `upstream` it read. -#}
{% macro remember_upstream_read(prefix, upstream) %}
    create or replace table {{ prefix }}upstream_read as
    select built.invocation_id from intermediate.{{ upstream }}__builds as built
{%- endmacro %}
