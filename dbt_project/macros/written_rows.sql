{#-
    What the data tests of a delta build check (docs/architecture.md, "Data tests in a delta").

    An incremental model built incrementally by this `dbt build` deleted and re-inserted only
    what intermediate.<model>__affected lists (national IDs, or state records for the
    per-record models); every other row is the one an earlier build wrote and tested. Its
    generic tests then check the rows this build wrote, not the whole relation, which costs
    the same whatever the week changes:
      - not_null, not_null_columns, accepted_values: the written rows (get_where_subquery);
      - unique, unique_combination_of_columns: the written rows' keys, among the written rows
        and among the untouched ones (a written row duplicating an untouched one fails;
        tests/generic/unique.sql);
      - relationships: the written rows' keys against the parent, and every row pointing at a
        key the parent's own incremental build deleted and did not write again (a national ID
        retired by a merge); a parent built in full this invocation (a table model, a full
        refresh) may have dropped any key, so the test checks the whole child
        (tests/generic/relationships.sql).
    Everything else checks the whole relation: a full build or `--full-refresh` (the pre-hook
    drops <model>__affected and __written), a model built in full the first time, `dbt test`,
    a model this invocation did not select, table models, and tests configured with
    `meta: {whole_relation: true}` (for a column a delta UPDATEs in place outside the
    rebuilt rows).
    The written rows are found by rowid (<model>__written, incremental_children.sql), or by
    their keys in <model>__affected when a checkpoint has renumbered the rows since.
-#}

{#- The manifest node of the model a generic test is attached to (the test node is `model`
    here: this macro has no argument of that name). -#}
{% macro tested_node() %}
    {%- if not execute or model.attached_node is none %}{{ return(none) }}{% endif %}
    {{- return(graph.nodes.get(model.attached_node)) }}
{%- endmacro %}

{#- The key columns of `node`'s <model>__affected (['msix_id'] or ['state', 'state_student_id']),
    or [] when there is none: a full build drops it. -#}
{% macro affected_key_columns(node) %}
    {%- set found = run_query(
        "select column_name from duckdb_columns() where database_name = '" ~ node.database
        ~ "' and schema_name = 'intermediate' and table_name = '" ~ node.alias
        ~ "__affected' order by column_index"
    ) %}
    {{- return(found.columns[0].values() | list) }}
{%- endmacro %}

{#- The first rowid of the rows this build inserted (<model>__written), when the rows from
    there on are still exactly the ones it counted (a checkpoint may renumber rows: then
    none, and the test finds the written rows by their keys in <model>__affected). -#}
{% macro written_rows_start(node) %}
    {%- set relation = api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias) %}
    {%- set exists = run_query(
        "select 1 from duckdb_tables() where database_name = '" ~ node.database
        ~ "' and schema_name = 'intermediate' and table_name = '" ~ node.alias ~ "__written'"
    ) %}
    {%- if exists.rows | length == 0 %}{{ return(none) }}{% endif %}
    {%- set found = run_query(
        "select written.first_rowid from " ~ incremental_children_bookkeeping(node.alias) | trim
        ~ "written as written where written.row_count = (select count(*) from " ~ relation
        ~ " as built where built.rowid >= written.first_rowid)"
    ) %}
    {{- return(found.columns[0].values()[0] if found.rows | length == 1 else none) }}
{%- endmacro %}

{#- A predicate on `alias` (a row of `node`'s relation) true for the rows this `dbt build`
    wrote, or '' when the test checks the whole relation (see above). -#}
{% macro written_rows_filter(node, alias) %}
    {%- if not execute or node is none or flags.FULL_REFRESH or flags.WHICH != 'build' %}
        {{- return('') }}
    {%- endif %}
    {%- if node.resource_type != 'model' or node.config.materialized != 'incremental'
        or node.unique_id not in selected_resources
        or (config.get('meta') or {}).get('whole_relation') %}
        {{- return('') }}
    {%- endif %}
    {%- set prefix = incremental_children_bookkeeping(node.alias) | trim %}
    {%- set affected = prefix ~ 'affected' %}
    {%- set key = affected_key_columns(node) %}
    {%- set start = written_rows_start(node) if key else none %}
    {%- if start is not none %}
        {{- return(alias ~ '.rowid >= ' ~ start) }}
    {%- elif key == ['msix_id'] %}
        {{- return(alias ~ '.msix_id in (select written.msix_id from ' ~ affected ~ ' as written)') }}
    {%- elif key == ['state', 'state_student_id'] %}
        {{- return(
            'exists (select 1 from ' ~ affected ~ ' as written where written.state = ' ~ alias
            ~ '.state and written.state_student_id = ' ~ alias ~ '.state_student_id)'
        ) }}
    {%- endif %}
    {{- return('') }}
{%- endmacro %}

{#- dbt's `model` argument of a generic test: the tested relation with the test's `where`
    config and, in a delta, only the rows this build wrote. -#}
{% macro get_where_subquery(relation) -%}
    {%- set node = tested_node() %}
    {%- set written = written_rows_filter(node, 'tested') if node is not none and node.alias == relation.identifier else '' %}
    {%- if not written %}
        {{- return(dbt.default__get_where_subquery(relation)) }}
    {%- endif %}
    {%- set where = config.get('where', '') %}
    {%- set filtered -%}
        (select * from {{ relation }} as tested where {{ written }}{% if where %} and ({{ where }}){% endif %}) as dbt_subquery
    {%- endset %}
    {{- return(filtered) }}
{%- endmacro %}

{#- When `model` holds only the rows this build wrote: the whole tested relation and the rows
    this build did not write (both with the test's `where` config), else none. -#}
{% macro whole_and_untouched() %}
    {%- set node = tested_node() %}
    {%- set written = written_rows_filter(node, 'tested') %}
    {%- if not written %}{{ return(none) }}{% endif %}
    {%- set relation = api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias) %}
    {%- set where = config.get('where', '') %}
    {%- set untouched -%}
        (select * from {{ relation }} as tested where not ({{ written }}){% if where %} and ({{ where }}){% endif %}) as dbt_subquery
    {%- endset %}
    {{- return({'whole': dbt.default__get_where_subquery(relation), 'untouched': untouched}) }}
{%- endmacro %}

{#- For a relationships test of a delta: the keys (`field`) the parent `to` deleted in this
    build and did not write again, as a list of constants (or a query when there are more than
    1,000); '' when it deleted none (or this invocation did not build it); none when the parent was built in full, so that any key may be gone and the
    test checks the whole child. -#}
{% macro parent_deleted_keys(to, field) %}
    {%- set parent = namespace(node=none) %}
    {%- for unique_id in model.depends_on.nodes %}
        {%- set node = graph.nodes.get(unique_id) %}
        {%- if node is not none and unique_id != model.attached_node and node.alias == to.identifier and node.schema == to.schema %}
            {%- set parent.node = node %}
        {%- endif %}
    {%- endfor %}
    {%- if parent.node is none %}{{ return(none) }}{% endif %}
    {%- if parent.node.unique_id not in selected_resources %}{{ return('') }}{% endif %}
    {%- if not written_rows_filter(parent.node, 'parent') or affected_key_columns(parent.node) != [field] %}
        {{- return(none) }}
    {%- endif %}
    {%- set deleted -%}
        select deleted.{{ field }} from {{ incremental_children_bookkeeping(parent.node.alias) | trim }}affected as deleted
        except
        select kept.{{ field }} from {{ to }} as kept
    {%- endset %}
    {#- a few (a merge retires one ID): as constants, which the scan of the child filters on #}
    {%- set found = run_query('select * from (' ~ deleted ~ ') limit 1001') %}
    {%- set keys = found.columns[0].values() %}
    {%- if keys | length > 1000 %}{{ return(deleted) }}{% endif %}
    {%- set constants = [] %}
    {%- for key in keys %}
        {%- do constants.append("'" ~ (key | string).replace("'", "''") ~ "'") %}
    {%- endfor %}
    {{- return(constants | join(', ')) }}
{%- endmacro %}

{#- For a singular test: `relation` (a model's ref) with, in a delta, only the rows this build
    wrote (the same rule as the generic tests). -#}
{% macro written_rows_of(relation) %}
    {%- if not execute %}{{ return(relation) }}{% endif %}
    {%- set found = namespace(node=none) %}
    {%- for node in graph.nodes.values() %}
        {%- if node.resource_type == 'model' and node.alias == relation.identifier and node.schema == relation.schema %}
            {%- set found.node = node %}
        {%- endif %}
    {%- endfor %}
    {%- set written = written_rows_filter(found.node, 'tested') %}
    {%- if not written %}{{ return(relation) }}{% endif %}
    {{- return('(select * from ' ~ relation ~ ' as tested where ' ~ written ~ ') as written_rows') }}
{%- endmacro %}

{#- `left` and `right` (two row aliases) hold the same combination of `columns`, NULLs equal. -#}
{% macro same_combination(columns, left, right) -%}
    {%- for column in columns %}
    {{ 'and ' if not loop.first }}{{ left }}.{{ column }} is not distinct from {{ right }}.{{ column }}
    {%- endfor %}
{%- endmacro %}
