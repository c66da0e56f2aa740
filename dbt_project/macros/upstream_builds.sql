{#-
    Which build of another model (its upstream) a model's last build read, for two shortcuts:

    - int_student_field_votes reads the children's best values from dim_student's columns
      (student_values.sql) while dim_student's last build read the votes' last build: then both
      hold the same best value for every child.
    - fct_move, a per-child projection of int_moves_detected (each child's rows come from its
      rows there and the calendar alone), need not work out which children to rebuild when
      int_moves_detected's build in this dbt invocation came right after the build fct_move last
      read: the children to rebuild are then exactly those int_moves_detected rebuilt (its
      __affected), since no other child's rows changed there. fct_move takes them (this skips
      its as-of rule, ~0.7 s at national scale); otherwise (a build of the moves it missed, a
      full build of either, the first build after this bookkeeping) it works them out as every
      national-ID model does.

    Bookkeeping:
      intermediate.<model>__builds          every national-ID model: the dbt invocation of its
                                            last build and of the one before (one row)
      intermediate.<model>__upstream_read   dim_student (of int_student_field_votes), fct_move (of
                                            int_moves_detected): the invocation whose build of
                                            the upstream model its last build read
-#}

{#- The upstream model of a national-ID model, '' when it has none. -#}
{% macro upstream_model(student_values, projection_of) -%}
    {%- if projection_of %}{{ return(projection_of) }}{% endif %}
    {{- return('int_student_field_votes' if student_values == 'identity_columns' else '') }}
{%- endmacro %}

{#- Whether `model`'s last build read `upstream`'s build `build` of its __builds (run time only:
    false while dbt parses): 'invocation_id', its last build; 'previous_invocation_id', the one
    before, its last build being in this invocation. -#}
{% macro read_upstream_build(upstream, model, build='invocation_id') -%}
    {%- if not execute %}{{ return(false) }}{% endif %}
    {%- if not bookkeeping_tables_exist([upstream ~ '__builds', model ~ '__upstream_read']) %}{{ return(false) }}{% endif %}
    {%- set found = run_query(
        "select count(*) from intermediate." ~ upstream ~ "__builds as built"
        ~ " inner join intermediate." ~ model ~ "__upstream_read as read"
        ~ " on built." ~ build ~ " = read.invocation_id"
        ~ (" where built.invocation_id = '" ~ invocation_id ~ "'" if build == 'previous_invocation_id' else "")
    ) %}
    {{- return(found.columns[0].values()[0] == 1) }}
{%- endmacro %}

{#- Whether the projection `model` may take `upstream`'s __affected (run time only). -#}
{% macro projection_can_reuse(upstream, model) -%}
    {{- return(
        bookkeeping_tables_exist([upstream ~ '__affected'])
        and read_upstream_build(upstream, model, 'previous_invocation_id')
    ) }}
{%- endmacro %}

{#- The projection's pre-hook part: its affected national IDs are the upstream model's. -#}
{% macro projection_affected(prefix, upstream) %}
    drop table if exists {{ prefix }}touched;

    create or replace table {{ prefix }}affected as
    select upstream_affected.msix_id from intermediate.{{ upstream }}__affected as upstream_affected
{%- endmacro %}

{% macro builds_table(prefix) %}
    create table if not exists {{ prefix }}builds (invocation_id varchar, previous_invocation_id varchar)
{%- endmacro %}

{#- Every national-ID model's post-hook part: this invocation built it. -#}
{% macro remember_build(prefix) %}
    {{ builds_table(prefix) }};

    update {{ prefix }}builds set previous_invocation_id = invocation_id, invocation_id = '{{ invocation_id }}';

    insert into {{ prefix }}builds
    select '{{ invocation_id }}', null where not exists (select 1 from {{ prefix }}builds)
{%- endmacro %}

{#- The post-hook part of a model with an upstream: the build of `upstream` it read (none known
    when the upstream was not built since this bookkeeping exists). -#}
{% macro remember_upstream_read(prefix, upstream) %}
    {{ builds_table(incremental_children_bookkeeping(upstream)) }};

    create or replace table {{ prefix }}upstream_read as
    select built.invocation_id from intermediate.{{ upstream }}__builds as built
{%- endmacro %}
