{#- The identity fields of a student record, in contract order: the fields survivorship chooses. -#}
{% macro identity_fields() -%}
    {{ return([
        'first_name', 'middle_name', 'last_name_1', 'last_name_2', 'suffix', 'sex', 'birth_date',
        'multiple_birth', 'birth_city', 'birth_state', 'birth_country', 'parent1_first_name',
        'parent1_last_name', 'parent2_first_name', 'parent2_last_name'
    ]) }}
{%- endmacro %}
