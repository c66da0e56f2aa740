{#- Eligibility ends 36 months after the QAD (QAD + 3 years - 1 day) or the day before the
    22nd birthday, whichever comes first (../shared/spec/domain.md "Eligibility"). -#}
{% macro qad_expiration(qad) -%}
    cast({{ qad }} + interval 3 year - interval 1 day as date)
{%- endmacro %}

{% macro age_out_date(birth_date) -%}
    cast({{ birth_date }} + interval 22 year - interval 1 day as date)
{%- endmacro %}
